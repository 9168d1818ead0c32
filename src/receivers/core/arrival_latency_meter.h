// The latency meter, on the network thread: how long each packet's frames will wait until they
// play, from when the packet would have come on time, smoothed over about 0.3 s of packets; and
// the sender's bursts (the longest gap between datagrams lately), which the ring must bridge.
//
// Measuring each packet's own frames against when the audio thread says they will play does not
// depend on where the sender's bursts fall between renders (sampling the ring fill at render time
// would: a bias of several ms). Frames are placed on the sender's timeline, lost datagrams
// included, which is what the audio thread plays. A loss not yet declared places frames early
// and makes them late by as much on the arrival analysis' line: the two cancel, and a
// declaration needs no correction. Where they do not cancel (a duplicate found late, by how far
// the floor fell meanwhile), shift() takes the error of the packets measured since back out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace scream::receiver {

class ArrivalLatencyMeter {
 public:
  explicit ArrivalLatencyMeter(double smoothingSeconds) : smoothingSeconds_(smoothingSeconds) {}

  // Frames [firstIndex, firstIndex + frames) of the sender's timeline arrived at arrivalNs,
  // lateSeconds later than the floor of arrivals (ArrivalAnalyzer::lateSeconds); the audio thread
  // plays timeline frame 0 at originNs, `rate` frames a second (NaN: silent, the meter starts
  // over). Returns the smoothed latency in seconds, NaN while unknown.
  //
  // Each packet is measured from when it would have come on time (on the floor): the figure is
  // the sender's timeline against the device's, what a frame waits from the moment the sender
  // could have delivered it at best until it plays. Jitter, the sender's bursts, a stall, or a
  // loss still being judged do not move it; only the clocks and the timeline do. (Averaging the
  // raw arrival-to-play figure, 300 ms of packets 0-40 ms late read as the level falling by
  // ~20 ms: periods inserted, then cut when the burst ended.) End to end, a frame in the middle
  // of a datagram plays this long after the sender produced it, plus half a datagram, plus the
  // least the sender and the network took to deliver a datagram after its last frame.
  double measure(int64_t arrivalNs, double firstIndex, size_t frames, double originNs, double rate,
                 double lateSeconds = 0) noexcept;
  // The timeline moved by shiftFrames after `packets` packets of framesPerPacket were measured
  // on the old one. Returns the corrected figure (NaN while unknown).
  double shift(double shiftFrames, int packets, double framesPerPacket, double rate) noexcept;
  double latencySeconds() const;  // NaN while unknown

 private:
  const double smoothingSeconds_;
  double smoothed_ = -1;
};

class BurstMeter {
 public:
  // Every datagram; returns the burst figure to use (seconds): each 2 s the longest gap of the
  // last 2 s, clamped to 2-25 ms (gaps over 50 ms are stalls), up at once, down slowly (a
  // quarter of the way per 2 s, at most 0.5 ms).
  double onArrival(int64_t arrivalNs, double currentSeconds) noexcept;

 private:
  int64_t lastArrivalNs_ = 0;
  double longestGapSeconds_ = 0;
  int64_t epochNs_ = 0;
};

}  // namespace scream::receiver
