/* One callgrind client request for bench/instructions_driver.py (via ctypes):
   dump the counts since the last dump, under a name. A no-op outside valgrind. */
#include <valgrind/callgrind.h>

void mark(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
