// edgelm: the command-line interface (DESIGN.md's CLI contract). Same
// language subset as the core, so it cross-builds with it.

import CEdgeSys
import EdgeLM

exit(CLI.main())
