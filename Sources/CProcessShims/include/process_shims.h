#ifndef HYPERGRID_PROCESS_SHIMS_H
#define HYPERGRID_PROCESS_SHIMS_H
/* Linux process controls whose C APIs are variadic and so invisible to Swift. */

/* Ask the kernel to send `signal` to this process when its parent dies
   (prctl(PR_SET_PDEATHSIG)). Returns 0 on success, -1 elsewhere or on error. */
int hypergrid_set_parent_death_signal(int signal);

#endif
