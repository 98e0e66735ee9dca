#include "cbuildinfo.h"

/* scripts/install.sh passes AUGER_BUILD_COMMIT, read from git at build time;
 * Package.swift's AUGER_COMMIT is what SwiftPM saw when it last read the
 * manifest (it caches that), right for a fresh clone. */
#if defined(AUGER_BUILD_COMMIT)
#define COMMIT AUGER_BUILD_COMMIT
#elif defined(AUGER_COMMIT)
#define COMMIT AUGER_COMMIT
#else
#define COMMIT "unknown"
#endif

const char *auger_build_commit(void) { return COMMIT; }
