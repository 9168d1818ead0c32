// The WaveRT render stream: owns the cyclic buffer, the periodic timer and a SenderEngine.
// The timer callback only takes the stream spin lock, never allocates and never waits:
// SenderEngine::tick packetizes what was played and WskSender::stage copies each datagram into a
// preallocated packet under the lock; WskSender::transmit sends them after the lock is released.
#pragma once

#include "com_object.h"
#include "driver/core/sender_engine.h"
#include "stream_timer.h"

class WaveMiniport;
class WskSender;
struct DeviceState;

class WaveStream : public ComObject<WaveStream, IMiniportWaveRTStreamNotification> {
 public:
  WaveStream(WaveMiniport* miniport, PPORTWAVERTSTREAM portStream,
             const scream::protocol::Format& format);
  ~WaveStream();
  NTSTATUS initialize();  // PASSIVE_LEVEL, once after construction: the timer

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* object) override;

  // IMiniportWaveRTStream
  STDMETHODIMP_(NTSTATUS) SetFormat(PKSDATAFORMAT dataFormat) override;
  STDMETHODIMP_(NTSTATUS) SetState(KSSTATE state) override;
  STDMETHODIMP_(NTSTATUS) GetPosition(PKSAUDIO_POSITION position) override;
  STDMETHODIMP_(NTSTATUS) AllocateAudioBuffer(ULONG requestedSize, PMDL* bufferMdl,
                                              ULONG* actualSize, ULONG* offsetFromFirstPage,
                                              MEMORY_CACHING_TYPE* cacheType) override;
  STDMETHODIMP_(VOID) FreeAudioBuffer(PMDL bufferMdl, ULONG bufferSize) override;
  STDMETHODIMP_(VOID) GetHWLatency(KSRTAUDIO_HWLATENCY* latency) override;
  STDMETHODIMP_(NTSTATUS) GetPositionRegister(KSRTAUDIO_HWREGISTER* reg) override;
  STDMETHODIMP_(NTSTATUS) GetClockRegister(KSRTAUDIO_HWREGISTER* reg) override;

  // IMiniportWaveRTStreamNotification
  STDMETHODIMP_(NTSTATUS) AllocateBufferWithNotification(ULONG notificationCount,
                                                         ULONG requestedSize, PMDL* bufferMdl,
                                                         ULONG* actualSize,
                                                         ULONG* offsetFromFirstPage,
                                                         MEMORY_CACHING_TYPE* cacheType) override;
  STDMETHODIMP_(VOID) FreeBufferWithNotification(PMDL bufferMdl, ULONG bufferSize) override;
  STDMETHODIMP_(NTSTATUS) RegisterNotificationEvent(PKEVENT event) override;
  STDMETHODIMP_(NTSTATUS) UnregisterNotificationEvent(PKEVENT event) override;

 private:
  static constexpr LONG kTimerPeriodMs = 2;  // within the 1-5 ms the design asks for
  static constexpr ULONG kMaxEvents = 4;
  static constexpr ULONG kSocketOpenWaitMs = 200;  // never forever: the network may be down

  static void onTimer(void* context);  // DISPATCH_LEVEL
  NTSTATUS allocateBuffer(ULONG notificationCount, ULONG requestedSize, PMDL* bufferMdl,
                          ULONG* actualSize, ULONG* offsetFromFirstPage,
                          MEMORY_CACHING_TYPE* cacheType);
  void freeBuffer();
  void startTimer();
  void stopTimer();  // PASSIVE_LEVEL: no DPC runs once this returns
  static uint64_t counterNow();

  WaveMiniport* miniport_;
  DeviceState* device_;  // the device's sender and mute switch
  PPORTWAVERTSTREAM portStream_;
  scream::protocol::Format format_;
  scream::driver::SenderEngine engine_{};
  KSPIN_LOCK lock_{};  // guards engine_ and events_ (the DPC's only lock)
  StreamTimer timer_{};
  KSSTATE state_ = KSSTATE_STOP;
  PMDL bufferMdl_ = nullptr;
  uint8_t* buffer_ = nullptr;
  ULONG bufferBytes_ = 0;
  uint64_t counterFrequency_ = 1;
  PKEVENT events_[kMaxEvents] = {};
};
