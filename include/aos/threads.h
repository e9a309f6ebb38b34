/*
 * User-level threads multiplexed on the domain's dispatcher (lib/threads.c).
 * Preemption: the kernel upcalls the dispatcher, whose run upcall schedules
 * the next thread. Every thread has its own stack and exception stack.
 */
#ifndef AOS_THREADS_H
#define AOS_THREADS_H

#include <autarky/types.h>
#include <autarky/errors.h>
#include <autarky/dispatcher.h>
#include <arch/registers.h>

struct thread;
typedef int (*thread_func_t)(void *arg);

struct thread *thread_create(thread_func_t fn, void *arg);
errval_t thread_join(struct thread *t, int *retval);
void thread_exit(int retval) __attribute__((noreturn));
void thread_yield(void);
struct thread *thread_self(void);
uint32_t thread_id(const struct thread *t);

/*
 * Exception handler of the calling thread (the assignment's interface).
 * It runs on the thread's own exception stack (`stack_base`, `*stack_size`
 * bytes; NULL: allocate one) with the faulting thread stopped, and gets
 * the exception type, fault address, access type and the saved registers,
 * which it may change. Returning true resumes the thread; false ends the
 * domain with a report (what, where, which thread).
 */
typedef bool (*thread_exception_handler_fn)(enum fault_type type, lvaddr_t addr,
                                     uint32_t access, struct arch_registers *regs);
errval_t thread_set_exception_handler(thread_exception_handler_fn new_handler,
                                      thread_exception_handler_fn *old_handler,
                                      void *new_stack_base, void *new_stack_top,
                                      void **old_stack_base, void **old_stack_top);

struct thread_mutex { volatile uint32_t locked; struct thread *holder; void *waiters; };
struct thread_cond  { void *waiters; };
struct thread_sem   { volatile int32_t value; void *waiters; };

void thread_mutex_init(struct thread_mutex *m);
void thread_mutex_lock(struct thread_mutex *m);
bool thread_mutex_trylock(struct thread_mutex *m);
void thread_mutex_unlock(struct thread_mutex *m);
void thread_cond_init(struct thread_cond *c);
void thread_cond_wait(struct thread_cond *c, struct thread_mutex *m);
void thread_cond_signal(struct thread_cond *c);
void thread_cond_broadcast(struct thread_cond *c);
void thread_sem_init(struct thread_sem *s, int32_t value);
void thread_sem_wait(struct thread_sem *s);
void thread_sem_post(struct thread_sem *s);

#endif
