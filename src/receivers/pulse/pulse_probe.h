// Is a PulseAudio server there? Used to pick the default output, and for messages naming the
// address the client library will try.
#pragma once

#include <string>

namespace scream::receiver {

// Connects once (no autospawn) and disconnects; false if no server answered within timeoutMs.
bool pulseServerAnswers(int timeoutMs);

// Where libpulse looks for the server, for messages: $PULSE_SERVER, else the runtime socket.
std::string pulseServerAddress();

}  // namespace scream::receiver
