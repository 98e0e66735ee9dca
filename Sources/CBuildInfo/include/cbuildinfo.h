#ifndef CBUILDINFO_H
#define CBUILDINFO_H

/* The git commit the binary was built from ("unknown" outside a checkout),
 * with "-dirty" when the tree had uncommitted changes. Package.swift passes
 * it as a C definition: Swift has no build-time string constants. */
const char *auger_build_commit(void);

#endif
