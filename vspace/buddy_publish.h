/*
 * The buddy allocator's published block list (include/aos/vmmap.h): the
 * two hooks buddy.c calls when a leaf becomes ALLOCATED and when it stops
 * being so. Private to vspace/.
 */
#ifndef VSPACE_BUDDY_PUBLISH_H
#define VSPACE_BUDDY_PUBLISH_H

#include <aos/buddy.h>

/* n was just made ALLOCATED (its tag and order are set). */
void buddy_pub_add(struct buddy *b, struct buddy_node *n);
/* n is about to stop being ALLOCATED. */
void buddy_pub_remove(struct buddy *b, struct buddy_node *n);

#endif
