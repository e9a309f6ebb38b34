/*
 * LMP_FUZZ_RECV_SLOTS: capabilities sent through an endpoint bound to the
 * fuzzer itself into every kind of receive slot (issue 9, item 4 and its
 * class; docs/safety.md rule 3: every slot write passes one check).
 *
 * Each step arms one to four receive slots, each of a random kind:
 *
 *   empty     an empty slot of the sequence's CNode S (a valid place)
 *   occupied  a slot of S that holds something
 *   root      one of two empty root slots (valid for an L2 CNode only)
 *   rootfull  an occupied root slot (S's own, TASKCN's, ...)
 *   readonly  a slot of CNode Y through a root slot holding Y without WRITE
 *   via       a slot of whatever CNode a message put into one of the two
 *             root slots (X or Y, with or without WRITE), or none
 *   beyond    past the end of the root CNode, or of a root slot
 *
 * and sends one of S's capabilities (an endpoint, a frame, an L2 CNode, an
 * L2 table, RAM, a frame without GRANT, or a copy of any of them, moved with
 * GIVE), then judges: the root CNode holds only L2 CNodes (every slot
 * identified); the capability went into the first armed slot that is a
 * valid place for it, or nowhere (NO_RECV_SLOT) if there is none; every
 * other armed slot is as it was; the message names the slot; a moved
 * capability left its slot only if it arrived. Delivered capabilities stay
 * (and become slots to send from, occupied slots, or, in a root slot, a
 * CNode whose slots can be armed) until a later step deletes them.
 */
#include "fuzz.h"
#include <aos/caps.h>
#include <aos/dispatch.h>
#include <aos/lmp.h>
#include <aos/ram_alloc.h>
#include <aos/slot_alloc.h>
#include <autarky/bootinfo.h>
#include <autarky/dispatcher.h>
#include <stdio.h>
#include <string.h>

#define STEPS        (150 * fz_rounds)
#define RAM_BYTES    (64u << 10)
#define BADGE        0x4655u
#define MAGIC        0x6c6d7071u
#define SLOTS        L2_CNODE_SLOTS
#define FIRST_FREE   16             /* S's slots below hold the set-up */

/* S's fixed slots */
enum { S_EP = 1, S_SEND, S_FRAME, S_X, S_TABLE, S_RAM, S_NOGRANT, S_Y, S_EP2, S_POOL = 15 };

/* A CNode the sequence can reach slots of: S, X or Y. */
struct lcnode {
    uint8_t type[SLOTS];            /* objtype in each slot, 0: empty */
    uint8_t names[SLOTS];           /* what an L2 CNode cap in it names (CN_*) */
    uint8_t rights[SLOTS];
};
enum { CN_NONE, CN_S, CN_X, CN_Y };

struct target {
    capaddr_t cptr;
    const char *kind;
    int root;                       /* a root slot itself (0/1), or -1 */
    struct lcnode *cn;              /* the CNode it names a slot of, or NULL */
    uint32_t slot;
    bool writable;                  /* through a capability with WRITE */
    errval_t before;                /* identify before the send */
    struct capability_info info;
};

static struct lcnode cn_s, cn_x, cn_y;
static cslot_t s_root, ro_root, test_root[2];
static uint8_t root_names[2], root_rights[2];   /* what each test root slot holds */
static capaddr_t cn_ram, lmp_ram;
static uint32_t step, delivered, refused;
static char op[120];

static struct lcnode *cnode(uint8_t names)
{
    return names == CN_S ? &cn_s : names == CN_X ? &cn_x : names == CN_Y ? &cn_y : NULL;
}

static void drop_pending(void)
{
    struct lmp_msg msg;

    while (lmp_poll(&msg)) {
        if (msg.cap != CPTR_NULL) {
            cap_delete(msg.cap);
        }
    }
}

static void disarm_all(void)
{
    struct lmp_recv_area *lmp = &get_dispatcher()->lmp;

    for (int i = 0; i < LMP_RECV_CAP_SLOTS; i++) {
        lmp->recv_slots[i] = CPTR_NULL;
    }
}

/* ---- targets -------------------------------------------------------------- */

static void target_in(struct target *t, capaddr_t cptr, const char *kind,
                      struct lcnode *cn, uint32_t slot, bool writable)
{
    t->cptr = cptr;
    t->kind = kind;
    t->root = -1;
    t->cn = cn;
    t->slot = slot;
    t->writable = writable;
}

static void make_target(struct target *t)
{
    uint32_t k = rnd() % SLOTS, i = rnd() % 2;

    switch (rnd() % 8) {
    case 0:
    case 1:
        k = FIRST_FREE + rnd() % (SLOTS - FIRST_FREE);
        target_in(t, CPTR(s_root, k), cn_s.type[k] ? "occupied" : "empty", &cn_s, k, true);
        break;
    case 2:
        k = 1 + rnd() % S_EP2;
        target_in(t, CPTR(s_root, k), "occupied", &cn_s, k, true);
        break;
    case 3:
        target_in(t, CPTR_L1_SLOT | test_root[i], "root", NULL, 0, false);
        t->root = (int)i;
        break;
    case 4: {
        static const cslot_t full[] = { ROOTCN_SLOT_TASKCN, ROOTCN_SLOT_PAGECN,
                                        ROOTCN_SLOT_SLOT_ALLOC0 };
        cslot_t r = rnd() % 2 ? s_root : rnd() % 2 ? ro_root : full[rnd() % 3];
        target_in(t, CPTR_L1_SLOT | r, "rootfull", NULL, 0, false);
        break;
    }
    case 5:
        target_in(t, CPTR(ro_root, k), "readonly", &cn_y, k, false);
        break;
    case 6:
        target_in(t, CPTR(test_root[i], k), "via", cnode(root_names[i]), k,
                  (root_rights[i] & CAP_RIGHT_WRITE) != 0);
        break;
    default:
        target_in(t, rnd() % 2 ? CPTR(0x8000u + rnd() % 0x7000u, k)
                               : (CPTR_L1_SLOT | (0x4000u + rnd() % 0xb000u)),
                  "beyond", NULL, 0, false);
        break;
    }
}

/* May a capability of `type` go there (docs/safety.md, rule 3)? */
static bool valid_place(const struct target *t, uint32_t type)
{
    if (t->root >= 0) {
        return type == ObjType_L2CNode && root_names[t->root] == CN_NONE;
    }
    return t->cn != NULL && t->writable && t->cn->type[t->slot] == 0;
}

/* ---- the step --------------------------------------------------------------- */

/* A slot of S to send from: one of the set-up's, or one a message filled. */
static uint32_t pick_source(void)
{
    for (int tries = 0; tries < 8 && chance(40); tries++) {
        uint32_t k = FIRST_FREE + rnd() % (SLOTS - FIRST_FREE);
        if (cn_s.type[k] != 0) {
            return k;
        }
    }
    return 1 + rnd() % S_EP2;
}

/* The capability arrived in `t` (the model follows). */
static void arrived(const struct target *t, uint32_t src)
{
    if (t->root >= 0) {
        root_names[t->root] = cn_s.names[src];
        root_rights[t->root] = cn_s.rights[src] & CAP_RIGHTS_GIVEN;
        return;
    }
    t->cn->type[t->slot] = cn_s.type[src];
    t->cn->names[t->slot] = cn_s.names[src];
    t->cn->rights[t->slot] = cn_s.rights[src] & CAP_RIGHTS_GIVEN;
}

/* Our message from the ring (others: stale replies of init, dropped). */
static bool take_message(struct lmp_msg *mine)
{
    struct lmp_msg msg;
    bool found = false;

    while (lmp_poll(&msg)) {
        if (msg.badge == BADGE && msg.nwords == 2 && msg.words[0] == MAGIC
            && msg.words[1] == step && !found) {
            *mine = msg;
            found = true;
        } else if (msg.cap != CPTR_NULL) {
            cap_delete(msg.cap);
        }
    }
    return found;
}

static void send_step(void)
{
    struct target t[LMP_RECV_CAP_SLOTS];
    uint32_t n = 1 + rnd() % LMP_RECV_CAP_SLOTS, src = pick_source(), temp = 0;
    uint32_t type = cn_s.type[src], words[2] = { MAGIC, step };
    bool give = chance(20), grant = (cn_s.rights[src] & CAP_RIGHT_GRANT) != 0;
    int first_valid = -1;
    struct lmp_msg msg = { .cap = CPTR_NULL };
    int len;

    if (give) {                     /* move a copy, so the set-up stays */
        for (temp = FIRST_FREE; temp < SLOTS && cn_s.type[temp] != 0; temp++) {
        }
        if (temp == SLOTS || err_is_fail(fz_call(cap_copy(CPTR_L1_SLOT | s_root, temp,
                                                          CPTR(s_root, src)), "copy"))) {
            give = false;
        } else {
            cn_s.type[temp] = cn_s.type[src];
            cn_s.names[temp] = cn_s.names[src];
            cn_s.rights[temp] = cn_s.rights[src];
            src = temp;
        }
    }
    len = snprintf(op, sizeof(op), "step %lu: %s %s s%lu into", (unsigned long)step,
                   give ? "give" : "send", fz_type_name(type), (unsigned long)src);
    disarm_all();
    for (uint32_t i = 0; i < n; i++) {
        make_target(&t[i]);
        t[i].before = fz_call(cap_identify(t[i].cptr, &t[i].info), "identify");
        lmp_arm_recv_slot(t[i].cptr);
        if (first_valid < 0 && valid_place(&t[i], type)) {
            first_valid = (int)i;
        }
        if ((size_t)len < sizeof(op)) {
            len += snprintf(op + len, sizeof(op) - (size_t)len, " %s 0x%lx", t[i].kind,
                            (unsigned long)t[i].cptr);
        }
    }
    errval_t err = fz_call(lmp_try_send(CPTR(s_root, S_SEND), CPTR(s_root, src),
                                        give ? LMP_FLAG_GIVE : 0, words, 2), "send");
    bool got = take_message(&msg);
    disarm_all();
    if (!fz_root_scan(op)) {
        return;
    }
    if (err_is_ok(err) != got) {
        fz_fail("%s: answered %s, %s message came", op, err_getcode(err_no(err)),
                got ? "but a" : "but no");
        return;
    }
    if (err_is_ok(err)) {
        delivered++;
        if (!grant || first_valid < 0) {
            fz_fail("%s: delivered to 0x%lx, though %s", op, (unsigned long)msg.cap,
                    grant ? "no armed slot was a valid place" : "it lacks GRANT");
            return;
        }
        if (msg.cap != t[first_valid].cptr) {
            fz_fail("%s: delivered to 0x%lx, the first valid place was 0x%lx", op,
                    (unsigned long)msg.cap, (unsigned long)t[first_valid].cptr);
            return;
        }
        struct capability_info ci;
        if (err_is_fail(fz_call(cap_identify(msg.cap, &ci), "identify")) || ci.type != type) {
            fz_fail("%s: the slot it names does not hold the %s", op, fz_type_name(type));
            return;
        }
        arrived(&t[first_valid], src);
    } else {
        refused++;
        if (err_no(err) == SYS_ERR_LMP_NO_RECV_SLOT && grant && first_valid >= 0) {
            fz_fail("%s: NO_RECV_SLOT, though 0x%lx (%s) was a valid place", op,
                    (unsigned long)t[first_valid].cptr, t[first_valid].kind);
            return;
        }
    }
    /* every armed slot but the one that took it is as it was (the same
     * slot named through another root slot took it too; a slot through
     * the root slot that took it names something new; the slot a cap was
     * given from is judged below) */
    for (uint32_t i = 0; i < n && !fz_failed; i++) {
        struct capability_info ci;
        const struct target *to = err_is_ok(err) ? &t[first_valid] : NULL;
        bool same = to != NULL && (t[i].cptr == msg.cap
                                   || (t[i].cn != NULL && t[i].cn == to->cn
                                       && t[i].slot == to->slot));
        bool via_new = to != NULL && (msg.cap & CPTR_L1_SLOT) != 0
                       && CPTR_L1_INDEX(t[i].cptr) == (msg.cap & 0xffffu);
        if (same || via_new || (give && t[i].cptr == CPTR(s_root, temp))) {
            continue;
        }
        errval_t now = fz_call(cap_identify(t[i].cptr, &ci), "identify");
        if (err_no(now) != err_no(t[i].before)
            || (err_is_ok(now) && (ci.type != t[i].info.type || ci.base != t[i].info.base))) {
            fz_fail("%s: %s slot 0x%lx changed: %s, now %s %s", op, t[i].kind,
                    (unsigned long)t[i].cptr, err_getcode(err_no(t[i].before)),
                    err_getcode(err_no(now)), err_is_ok(now) ? fz_type_name(ci.type) : "");
        }
    }
    if (give) {                     /* moved exactly when it arrived */
        struct capability_info ci;
        errval_t left = fz_call(cap_identify(CPTR(s_root, temp), &ci), "identify");
        if (err_is_ok(err) == err_is_ok(left)) {
            fz_fail("%s: the given capability %s its slot", op,
                    err_is_ok(err) ? "arrived but stayed in" : "did not arrive but left");
        }
        cap_delete(CPTR(s_root, temp));
        cn_s.type[temp] = 0;
    }
}

/* Delete something a message delivered: in S, in X or Y through a root
 * slot, or the CNode in a root slot itself. */
static void delete_step(void)
{
    uint32_t i = rnd() % 2, k = FIRST_FREE + rnd() % (SLOTS - FIRST_FREE);
    struct lcnode *cn = cnode(root_names[i]);

    if (chance(30) && root_names[i] != CN_NONE) {
        snprintf(op, sizeof(op), "step %lu: delete root slot %lu", (unsigned long)step,
                 (unsigned long)test_root[i]);
        if (err_is_ok(fz_call(cap_delete(CPTR_L1_SLOT | test_root[i]), op))) {
            root_names[i] = CN_NONE;
        }
    } else if (chance(50) && cn != NULL && (root_rights[i] & CAP_RIGHT_WRITE)) {
        k = rnd() % SLOTS;
        if (cn->type[k] != 0 && err_is_ok(fz_call(cap_delete(CPTR(test_root[i], k)),
                                                  "delete"))) {
            cn->type[k] = 0;
        }
    } else if (cn_s.type[k] != 0 && err_is_ok(fz_call(cap_delete(CPTR(s_root, k)), "delete"))) {
        cn_s.type[k] = 0;
    }
    fz_root_scan("after a delete");
}

/* ---- set-up ---------------------------------------------------------------- */

static errval_t place(enum objtype type, uint32_t offset, uint32_t size, uint32_t slot,
                      uint8_t names)
{
    errval_t err = fz_call(cap_retype(CPTR(s_root, S_POOL), type, offset, size, 1,
                                      CPTR_L1_SLOT | s_root, slot), "retype");
    cn_s.type[slot] = (uint8_t)type;
    cn_s.names[slot] = names;
    cn_s.rights[slot] = CAP_RIGHTS_ALL;
    return err;
}

static errval_t setup(void)
{
    errval_t err;

    memset(&cn_s, 0, sizeof(cn_s));
    memset(&cn_x, 0, sizeof(cn_x));
    memset(&cn_y, 0, sizeof(cn_y));
    root_names[0] = root_names[1] = CN_NONE;
    delivered = refused = 0;
    err = fz_call(slot_alloc_root_slot(&s_root), "root slot");
    if (err_is_ok(err)) err = fz_call(slot_alloc_root_slot(&ro_root), "root slot");
    if (err_is_ok(err)) err = fz_call(slot_alloc_root_slot(&test_root[0]), "root slot");
    if (err_is_ok(err)) err = fz_call(slot_alloc_root_slot(&test_root[1]), "root slot");
    if (err_is_ok(err)) {
        err = fz_call(ram_alloc_aligned(&cn_ram, OBJSIZE_L2CNODE, OBJSIZE_L2CNODE, NULL), "RAM");
    }
    if (err_is_ok(err)) {
        err = fz_call(cap_retype(cn_ram, ObjType_L2CNode, 0, OBJSIZE_L2CNODE, 1, CAP_ROOTCN,
                                 s_root), "retype S");
    }
    if (err_is_ok(err)) {
        err = fz_call(ram_alloc_aligned(&lmp_ram, 2 * RAM_BYTES, 2 * RAM_BYTES, NULL), "RAM");
    }
    if (err_is_ok(err)) {       /* RAM (a child) to send, and to retype from */
        err = fz_call(cap_retype(lmp_ram, ObjType_RAM, 0, RAM_BYTES, 1, CPTR_L1_SLOT | s_root,
                                 S_POOL), "retype the pool");
    }
    if (err_is_ok(err)) err = place(ObjType_Endpoint, 0, OBJSIZE_ENDPOINT, S_EP, CN_NONE);
    if (err_is_ok(err)) err = place(ObjType_Endpoint, 64, OBJSIZE_ENDPOINT, S_EP2, CN_NONE);
    if (err_is_ok(err)) err = place(ObjType_Frame, 4096, BASE_PAGE_SIZE, S_FRAME, CN_NONE);
    if (err_is_ok(err)) err = place(ObjType_VNode_L2, 8192, OBJSIZE_VNODE_L2, S_TABLE, CN_NONE);
    if (err_is_ok(err)) err = place(ObjType_RAM, 12288, BASE_PAGE_SIZE, S_RAM, CN_NONE);
    if (err_is_ok(err)) err = place(ObjType_L2CNode, 16384, OBJSIZE_L2CNODE, S_X, CN_X);
    if (err_is_ok(err)) err = place(ObjType_L2CNode, 32768, OBJSIZE_L2CNODE, S_Y, CN_Y);
    if (err_is_ok(err)) {
        err = fz_call(ep_bind(CPTR(s_root, S_EP), CAP_DISPATCHER), "bind");
    }
    if (err_is_ok(err)) {
        err = fz_call(cap_mint(CPTR_L1_SLOT | s_root, S_SEND, CPTR(s_root, S_EP),
                               CAP_RIGHTS_ALL, BADGE), "mint");
        cn_s.type[S_SEND] = ObjType_Endpoint;
        cn_s.rights[S_SEND] = CAP_RIGHTS_ALL;
    }
    if (err_is_ok(err)) {
        err = fz_call(cap_mint(CPTR_L1_SLOT | s_root, S_NOGRANT, CPTR(s_root, S_FRAME),
                               CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT, 0), "mint");
        cn_s.type[S_NOGRANT] = ObjType_Frame;
        cn_s.rights[S_NOGRANT] = CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT;
    }
    if (err_is_ok(err)) {       /* Y through a root slot without WRITE */
        err = fz_call(cap_mint(CAP_ROOTCN, ro_root, CPTR(s_root, S_Y),
                               CAP_RIGHT_READ | CAP_RIGHT_GRANT, 0), "mint into the root");
    }
    cn_s.type[S_POOL] = ObjType_RAM;
    return err;
}

/* Giving the RAM back makes init revoke it (a domain holds no REVOKE):
 * that takes every object and every copy a message made, wherever it
 * went; then our root slots are empty again. */
static void teardown(void)
{
    disarm_all();
    drop_pending();
    fz_call(ram_free(lmp_ram), "free RAM");
    fz_root_scan("after the RAM went back");
    for (int i = 0; i < 2 && !fz_failed; i++) {
        struct capability_info ci;
        if (err_no(cap_identify(CPTR_L1_SLOT | test_root[i], &ci)) != SYS_ERR_SLOT_EMPTY) {
            fz_fail("root slot %lu still holds a %s after init revoked the RAM",
                    (unsigned long)test_root[i], fz_type_name(ci.type));
        }
    }
    for (int i = 0; i < 2; i++) {
        cap_delete(CPTR_L1_SLOT | test_root[i]);     /* empty, unless a finding */
        slot_free_root_slot(test_root[i]);
    }
    cap_delete(CPTR_L1_SLOT | ro_root);
    slot_free_root_slot(ro_root);
    cap_delete(CPTR_L1_SLOT | s_root);
    slot_free_root_slot(s_root);
    ram_free(cn_ram);
}

void fuzz_lmp_seq(void)
{
    drop_pending();
    errval_t err = setup();
    if (err_is_fail(err)) {
        fz_fail("setting up: %s", err_getcode(err_no(err)));
    }
    for (step = 1; step <= STEPS && !fz_failed; step++) {
        if (chance(25)) {
            delete_step();
        } else {
            send_step();
        }
    }
    uint32_t steps = step - 1;
    teardown();
    printf("fuzzer: receive-slot sequence: %lu steps, %lu calls, %lu delivered, "
           "%lu refused\n", (unsigned long)steps, (unsigned long)fz_calls,
           (unsigned long)delivered, (unsigned long)refused);
}
