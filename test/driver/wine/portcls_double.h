// Pieces of the portcls.sys double shared by its PnP/port half (portcls_double.cpp) and its
// audio-engine half (audio_engine.cpp).
#pragma once

#include "ddk_view.h"
#include "double_log.h"

extern const char kPortClsRecord[];  // "portcls.log"
constexpr ULONG kDoublePoolTag = 0x6C635043;  // 'CPcl'

// One stream the audio engine plays.
struct StreamSpec {
  ULONG rate = 48000;
  ULONG bits = 16;             // container (wBitsPerSample)
  ULONG validBits = 0;         // wValidBitsPerSample; 0: same as bits
  ULONG channels = 2;
  ULONG channelMask = 3;
  ULONG milliseconds = 3000;   // time in RUN
  ULONG bufferMs = 2000;       // cyclic buffer: stalls of up to half of it are harmless
  ULONG notifications = 2;     // 0: AllocateAudioBuffer, else AllocateBufferWithNotification
  ULONG runs = 1;              // RUN ... STOP cycles on the same stream and buffer
  ULONG silenceAt = 0;         // frames [silenceAt, silenceAt + silenceFrames) are all zero
  ULONG silenceFrames = 0;
  ULONG setFormatBits = 0;     // non-zero: halfway through RUN, SetFormat to this depth
  ULONG isFloat = 0;           // IEEE float SubFormat (format probes only)
  ULONG muteAtMs = 0;          // non-zero: mute (topology mute node) this long into RUN,
  ULONG unmuteAtMs = 0;        //   and unmute at this time
  ULONG surpriseAtMs = 0;      // non-zero: IRP_MN_SURPRISE_REMOVAL this long into RUN, then the
                               //   stream is stopped and closed as the audio engine would
};
// An IVSHMEM device of the ivshmem double (ivshmem_double.cpp), from a scenario line
// "ivshmem bytes=N path=/dev/shm/NAME fail_map_from=K" (K > 0: the K-th and later
// REQUEST_MMAPs fail, as for a device that went away).
struct IvshmemSpec {
  ULONG index = 0;
  ULONGLONG bytes = 0;
  char path[96] = {};
  ULONG failMapFrom = 0;
};
constexpr ULONG kMaxIvshmemDevices = 2;

// What the Linux side asks for, read from C:\scream-wine\scenario.txt: one line per stream,
// played one after the other on the same filter, each "key=value ..." (keys as in StreamSpec:
// rate bits valid_bits channels mask ms buffer_ms notifications runs silence_at silence_frames
// setformat_bits).
constexpr ULONG kMaxStreams = 160;
struct Scenario {
  StreamSpec streams[kMaxStreams];
  ULONG streamCount = 0;
  ULONG devices = 1;  // a line "devices=2": two devices, see runTwoDevices()
  IvshmemSpec ivshmem[kMaxIvshmemDevices];
  ULONG ivshmemCount = 0;
};
void readScenario(Scenario* scenario);

// Asks the wave filter the format questions the audio engine asks before it opens a stream
// (KSPROPERTY_PIN_PROPOSEDATAFORMAT2 for the default format; PROPOSEDATAFORMAT for a list of
// formats, accepted and not), and checks that the data ranges, the proposal answers and
// NewStream agree on every one. Returns false on a disagreement (recorded).
bool probeFormatNegotiation(IMiniportWaveRT* miniport);

void sleepMs(ULONG milliseconds);

// Creates the scenario's IVSHMEM devices and points scream.sys's IoGetDeviceInterfaces and
// IoGetDeviceObjectPointer imports at the double's (Wine's are stubs). Before AddDevice.
bool installIvshmemDevices(const Scenario& scenario);
// After the driver's device is removed: records what happened to each, deletes them.
void removeIvshmemDevices();

// Plays the audio engine against the wave filter: checks the descriptor, opens one render stream
// in the given format, writes the known signal, steps the states, closes. Returns false on the
// first failure (recorded).
bool runAudioEngine(IMiniportWaveRT* miniport, const StreamSpec& spec, ULONG index);

// The device the audio engine plays on: its topology miniport (the mute node) and a way to send
// it IRP_MN_SURPRISE_REMOVAL. Set by the PnP half before runAudioEngine.
struct EngineDevice {
  IMiniport* topology;
  NTSTATUS (*surpriseRemoval)(void* context);
  void* context;
};
void setEngineDevice(const EngineDevice& device);

inline void* operator new(size_t, void* where) noexcept { return where; }
