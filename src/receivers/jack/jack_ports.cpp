#include "jack_ports.h"

#include <algorithm>
#include <array>

#include "protocol/channel_map.h"

namespace scream::receiver {

namespace {

using protocol::Speaker;

std::vector<Speaker> speakers(uint16_t channelMask, uint8_t channels) {
  std::array<Speaker, protocol::kMaxChannels> positions{};
  const size_t count = std::min<size_t>(channels, protocol::kMaxChannels);
  protocol::speakersForMask(channelMask, static_cast<uint8_t>(count), positions.data());
  return {positions.begin(), positions.begin() + count};
}

// Position of a speaker in the ALSA channel order, or -1 for speakers ALSA cards do not name.
int alsaIndex(Speaker speaker) {
  switch (speaker) {
    case Speaker::kFrontLeft: return 0;
    case Speaker::kFrontRight: return 1;
    case Speaker::kBackLeft: return 2;
    case Speaker::kBackRight: return 3;
    case Speaker::kFrontCenter: return 4;
    case Speaker::kLowFrequency: return 5;
    case Speaker::kSideLeft: return 6;
    case Speaker::kSideRight: return 7;
    default: return -1;
  }
}

}  // namespace

std::vector<std::string> jackPortNames(uint16_t channelMask, uint8_t channels) {
  const std::vector<Speaker> positions = speakers(channelMask, channels);
  std::vector<std::string> names;
  for (size_t ch = 0; ch < positions.size(); ++ch) {
    names.push_back(positions[ch] == Speaker::kUndefined ? "AUX" + std::to_string(ch + 1)
                                                         : protocol::speakerName(positions[ch]));
  }
  return names;
}

std::vector<JackConnection> jackConnectionPlan(uint16_t channelMask, uint8_t channels,
                                               size_t physicalPorts) {
  const std::vector<Speaker> positions = speakers(channelMask, channels);
  if (positions.size() == 1) {
    std::vector<JackConnection> mono;
    for (size_t port = 0; port < std::min<size_t>(physicalPorts, 2); ++port)
      mono.push_back({0, port});
    return mono;
  }
  std::vector<int> plan(positions.size(), -1);
  std::vector<bool> taken(physicalPorts, false);
  for (size_t ch = 0; ch < positions.size(); ++ch) {
    const int place = alsaIndex(positions[ch]);
    if (place >= 0 && static_cast<size_t>(place) < physicalPorts && !taken[place]) {
      plan[ch] = place;
      taken[place] = true;
    }
  }
  size_t next = 0;
  for (int& port : plan) {
    if (port >= 0) continue;
    while (next < physicalPorts && taken[next]) ++next;
    if (next == physicalPorts) break;
    port = static_cast<int>(next);
    taken[next] = true;
  }
  std::vector<JackConnection> connections;
  for (size_t ch = 0; ch < plan.size(); ++ch) {
    if (plan[ch] >= 0) connections.push_back({ch, static_cast<size_t>(plan[ch])});
  }
  return connections;
}

}  // namespace scream::receiver
