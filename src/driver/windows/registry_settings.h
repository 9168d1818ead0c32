// Reads Services\<driver>\Options into a SenderSettings. SenderSettings validates every value
// and falls back to its default; each rejection is reported in the debug log.
#pragma once

#include "driver/core/sender_settings.h"
#include "kernel.h"

// PASSIVE_LEVEL. A missing Options key simply leaves the defaults.
void loadSenderSettings(PCUNICODE_STRING servicePath, scream::driver::SenderSettings* settings);
