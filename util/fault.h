/* fault.h: allocation fault injection, present only in libraries built with KS_FAULT_INJECTION (tests). */
#ifndef KS_FAULT_H
#define KS_FAULT_H
/* Makes the nth allocation from now fail (n >= 1; 0 disables); persistent: every later one too. */
void ks__fault_alloc_set(long nth, int persistent);
/* Returns how many allocations failed since the last ks__fault_alloc_set. */
long ks__fault_alloc_failures(void);
#endif
