// Which JACK ports the receiver registers and where it connects them: pure functions, so the
// naming and the auto-connect order are decided in one place and can be tested without a server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace scream::receiver {

// One name per channel, from the speaker position of the mask ("FL", "FR", "FC", "LFE", ...).
// Channels beyond the set bits of the mask have no position and are named "AUX<n>" (n = channel
// number from 1), so every name is unique for any channel count and mask.
std::vector<std::string> jackPortNames(uint16_t channelMask, uint8_t channels);

struct JackConnection {
  size_t channel;   // our port
  size_t physical;  // index into the server's physical playback ports
};

// Where auto-connect connects each channel. Physical ports of multichannel cards follow the ALSA
// order FL FR BL BR FC LFE SL SR, so each speaker goes to its place in that order when the card
// has it (the front pair always to the first pair); channels without a place there take the free
// ports left, in order; channels left over stay unconnected. A mono stream plays on the first
// pair.
std::vector<JackConnection> jackConnectionPlan(uint16_t channelMask, uint8_t channels,
                                               size_t physicalPorts);

}  // namespace scream::receiver
