#include "stats.h"

// Stats is header-only today; this unit keeps the library non-empty and checks the header alone.
