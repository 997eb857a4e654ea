/* CEdgeSys is header-only (static inline wrappers); SwiftPM needs one C file. */
#include "edgelm_sys.h"
