// SwiftPM needs one source file per C target; everything lives in the header.
#include "cbpf.h"
