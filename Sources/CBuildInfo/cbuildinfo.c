#include "cbuildinfo.h"

#ifndef AUGER_COMMIT
#define AUGER_COMMIT "unknown"
#endif

const char *auger_build_commit(void) { return AUGER_COMMIT; }
