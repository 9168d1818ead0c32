// Real-time scheduling for the threads that keep audio flowing (a sink's audio thread, the
// network thread), as sound servers do: a busy machine must not starve them into an underrun.
#pragma once

#include <string>

namespace scream::receiver {

// Audio threads above the network thread: a late packet can be concealed, a late device cannot.
inline constexpr int kAudioThreadPriority = 20;
inline constexpr int kNetworkThreadPriority = 15;

// Asks for SCHED_FIFO at `priority` (1-99) for the calling thread. Returns false and says why in
// *why when the system refuses (no CAP_SYS_NICE / RLIMIT_RTPRIO); the thread then keeps running
// at normal priority, which is fine on an idle machine.
bool raiseThreadPriority(int priority, std::string* why);

}  // namespace scream::receiver
