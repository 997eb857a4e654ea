/* json-c, the config parser (Debian: libjson-c-dev). */
#include <json-c/json.h>
