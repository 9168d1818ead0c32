// portcls.sys double, audio-engine half: what Windows' audio engine and PortCls's WaveRT port do
// with a render stream. It checks the render pin's data ranges, opens a stream in a format they
// admit, supplies the cyclic buffer (Wine's MmAllocatePagesForMdl returns NULL), writes a known
// signal ahead of the position the stream reports, and steps ACQUIRE, PAUSE, RUN, PAUSE, ACQUIRE,
// STOP before closing. The Linux test regenerates the signal and compares it with the datagrams.
#include "portcls_double.h"

namespace {

// The test signal: sample (frame, channel) is the low bytes of this 32-bit value, little
// endian. Keep in step with signal_sample() in wine_test.py.
ULONG signalSample(ULONGLONG frame, ULONG channel) {
  return static_cast<ULONG>(frame * 2654435761ULL) ^ (channel * 0x9E3779B9u) ^ 0x5A5A5A5Au;
}

// IPortWaveRTStream: the buffer memory the miniport asks PortCls for.
class PortStream : public IPortWaveRTStream {
 public:
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* object) override {
    if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IPortWaveRTStream)) {
      *object = static_cast<IPortWaveRTStream*>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    *object = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  STDMETHODIMP_(ULONG) AddRef() override { return InterlockedIncrement(&refs_); }
  STDMETHODIMP_(ULONG) Release() override { return InterlockedDecrement(&refs_); }  // on stack

  STDMETHODIMP_(PMDL) AllocatePagesForMdl(PHYSICAL_ADDRESS, SIZE_T bytes) override {
    recordLine(kPortClsRecord, "allocate_pages bytes=%llu", static_cast<unsigned long long>(bytes));
    if (memory_ != nullptr || bytes == 0) return nullptr;
    memory_ = static_cast<UCHAR*>(ExAllocatePoolWithTag(NonPagedPool, bytes, kDoublePoolTag));
    if (memory_ == nullptr) return nullptr;
    RtlZeroMemory(memory_, bytes);
    mdl_ = IoAllocateMdl(memory_, static_cast<ULONG>(bytes), FALSE, FALSE, nullptr);
    bytes_ = bytes;
    return mdl_;
  }
  STDMETHODIMP_(PMDL) AllocateContiguousPagesForMdl(PHYSICAL_ADDRESS, PHYSICAL_ADDRESS low,
                                                   SIZE_T bytes) override {
    return AllocatePagesForMdl(low, bytes);
  }
  STDMETHODIMP_(PVOID) MapAllocatedPages(PMDL mdl, MEMORY_CACHING_TYPE caching) override {
    recordLine(kPortClsRecord, "map_pages mdl_matches=%d caching=%d", mdl == mdl_, caching);
    if (mdl != mdl_ || mdl == nullptr) return nullptr;
    mapped_ = true;
    return memory_;
  }
  STDMETHODIMP_(VOID) UnmapAllocatedPages(PVOID address, PMDL mdl) override {
    recordLine(kPortClsRecord, "unmap_pages matches=%d", address == memory_ && mdl == mdl_);
    mapped_ = false;
  }
  STDMETHODIMP_(VOID) FreePagesFromMdl(PMDL mdl) override {
    recordLine(kPortClsRecord, "free_pages matches=%d still_mapped=%d", mdl == mdl_, mapped_);
    if (mdl != mdl_ || mdl == nullptr) return;
    IoFreeMdl(mdl_);
    ExFreePoolWithTag(memory_, kDoublePoolTag);
    mdl_ = nullptr;
    memory_ = nullptr;
  }
  STDMETHODIMP_(ULONG) GetPhysicalPagesCount(PMDL mdl) override {
    return ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), MmGetMdlByteCount(mdl));
  }
  // Returns a struct: g++ and MSVC disagree on how, so the driver must never call it.
  STDMETHODIMP_(PHYSICAL_ADDRESS) GetPhysicalPageAddress(PMDL, ULONG) override {
    recordLine(kPortClsRecord, "failure: GetPhysicalPageAddress called (ABI differs from MSVC)");
    PHYSICAL_ADDRESS none;
    none.QuadPart = 0;
    return none;
  }

  LONG refs() const { return refs_; }
  PMDL mdl() const { return mdl_; }
  UCHAR* memory() const { return memory_; }

 private:
  volatile LONG refs_ = 1;
  UCHAR* memory_ = nullptr;
  PMDL mdl_ = nullptr;
  SIZE_T bytes_ = 0;
  bool mapped_ = false;
};

#pragma pack(push, 1)
struct StreamFormat {  // KSDATAFORMAT_WAVEFORMATEXTENSIBLE
  KSDATAFORMAT header;
  WAVEFORMATEXTENSIBLE wave;
};
#pragma pack(pop)

const GUID kTypeAudio = {STATIC_KSDATAFORMAT_TYPE_AUDIO};
const GUID kSubtypePcm = {STATIC_KSDATAFORMAT_SUBTYPE_PCM};
const GUID kSpecifierWaveFormatEx = {STATIC_KSDATAFORMAT_SPECIFIER_WAVEFORMATEX};
const GUID kSubtypeFloat = {STATIC_KSDATAFORMAT_SUBTYPE_IEEE_FLOAT};
const GUID kPropertySetAudio = {STATIC_KSPROPSETID_Audio};
const GUID kNodeTypeMute = {STATIC_KSNODETYPE_MUTE};

EngineDevice g_device = {nullptr, nullptr, nullptr};

// KSPROPERTY_AUDIO_MUTE on the topology filter's mute node, as PortCls hands a node property to
// the miniport: Node = the node id, Instance = what follows KSNODEPROPERTY (the channel, -1 =
// master, and a reserved ULONG), Value = a BOOL.
NTSTATUS setMute(BOOL mute, BOOL* readBack) {
  IMiniport* topology = g_device.topology;
  PPCFILTER_DESCRIPTOR filter = nullptr;
  if (topology == nullptr || !NT_SUCCESS(topology->GetDescription(&filter))) {
    return STATUS_NOT_FOUND;
  }
  for (ULONG n = 0; n < filter->NodeCount; ++n) {
    const auto* node = reinterpret_cast<const PCNODE_DESCRIPTOR*>(
        reinterpret_cast<const UCHAR*>(filter->Nodes) + n * filter->NodeSize);
    if (node->Type == nullptr || !IsEqualGUIDAligned(*node->Type, kNodeTypeMute) ||
        node->AutomationTable == nullptr) {
      continue;
    }
    const PCAUTOMATION_TABLE* table = node->AutomationTable;
    for (ULONG i = 0; i < table->PropertyCount; ++i) {
      const auto* item = reinterpret_cast<const PCPROPERTY_ITEM*>(
          reinterpret_cast<const UCHAR*>(table->Properties) + i * table->PropertyItemSize);
      if (item->Set == nullptr || !IsEqualGUIDAligned(*item->Set, kPropertySetAudio) ||
          item->Id != KSPROPERTY_AUDIO_MUTE || item->Handler == nullptr) {
        continue;
      }
      LONG instance[2] = {-1, 0};
      PCPROPERTY_REQUEST request = {};
      request.MajorTarget = topology;
      request.Node = n;
      request.PropertyItem = item;
      request.Verb = KSPROPERTY_TYPE_SET;
      request.InstanceSize = sizeof(instance);
      request.Instance = instance;
      request.ValueSize = sizeof(BOOL);
      request.Value = &mute;
      NTSTATUS status = item->Handler(&request);
      if (!NT_SUCCESS(status)) return status;
      request.Verb = KSPROPERTY_TYPE_GET;
      request.ValueSize = sizeof(BOOL);
      request.Value = readBack;
      return item->Handler(&request);
    }
  }
  return STATUS_NOT_FOUND;
}
const GUID kPropertySetPin = {STATIC_KSPROPSETID_Pin};
constexpr ULONG kPinProposeDataFormat = 14;   // KSPROPERTY_PIN_PROPOSEDATAFORMAT
constexpr ULONG kPinProposeDataFormat2 = 15;  // KSPROPERTY_PIN_PROPOSEDATAFORMAT2
// KSATTRIBUTEID_AUDIOSIGNALPROCESSING_MODE and AUDIO_SIGNALPROCESSINGMODE_DEFAULT (ksmedia.h).
const GUID kAttributeProcessingMode = {
    0xE1F89EB5, 0x5F46, 0x419B, {0x96, 0x7B, 0xFF, 0x67, 0x70, 0xB9, 0x84, 0x01}};
const GUID kProcessingModeDefault = {
    0xC18E2F7E, 0x933D, 0x4965, {0xB7, 0xD1, 0x1E, 0xEF, 0x22, 0x8D, 0x2A, 0xF3}};

StreamFormat makeFormat(const StreamSpec& s) {
  StreamFormat f = {};
  const USHORT blockAlign = static_cast<USHORT>(s.channels * (s.bits / 8));
  f.header.FormatSize = sizeof(StreamFormat);
  f.header.SampleSize = blockAlign;
  f.header.MajorFormat = kTypeAudio;
  f.header.SubFormat = kSubtypePcm;
  f.header.Specifier = kSpecifierWaveFormatEx;
  f.wave.Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
  f.wave.Format.nChannels = static_cast<WORD>(s.channels);
  f.wave.Format.nSamplesPerSec = s.rate;
  f.wave.Format.nAvgBytesPerSec = s.rate * blockAlign;
  f.wave.Format.nBlockAlign = blockAlign;
  f.wave.Format.wBitsPerSample = static_cast<WORD>(s.bits);
  f.wave.Format.cbSize = sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX);
  f.wave.Samples.wValidBitsPerSample = static_cast<WORD>(s.validBits != 0 ? s.validBits : s.bits);
  f.wave.dwChannelMask = s.channelMask;
  f.wave.SubFormat = s.isFloat ? kSubtypeFloat : kSubtypePcm;
  f.header.SubFormat = f.wave.SubFormat;
  if (s.bits % 8 != 0) {  // as Windows rounds an odd container up to whole bytes
    const USHORT rounded = static_cast<USHORT>(s.channels * ((s.bits + 7) / 8));
    f.header.SampleSize = rounded;
    f.wave.Format.nBlockAlign = rounded;
    f.wave.Format.nAvgBytesPerSec = s.rate * rounded;
  }
  return f;
}

// The filter's property handler for (KSPROPSETID_Pin, id) with `verb`, as PortCls finds it in
// the filter descriptor's automation table; nullptr if the filter does not declare it.
const PCPROPERTY_ITEM* filterProperty(const PCFILTER_DESCRIPTOR* filter, ULONG id, ULONG verb) {
  const PCAUTOMATION_TABLE* table = filter->AutomationTable;
  if (table == nullptr || table->PropertyItemSize < sizeof(PCPROPERTY_ITEM)) return nullptr;
  for (ULONG i = 0; i < table->PropertyCount; ++i) {
    const auto* item = reinterpret_cast<const PCPROPERTY_ITEM*>(
        reinterpret_cast<const UCHAR*>(table->Properties) + i * table->PropertyItemSize);
    if (item->Set != nullptr && IsEqualGUIDAligned(*item->Set, kPropertySetPin) &&
        item->Id == id && (item->Flags & verb) == verb && item->Handler != nullptr) {
      return item;
    }
  }
  return nullptr;
}

// A filter property request the way PortCls hands it to a miniport: the instance is what follows
// the KSPROPERTY header of the descriptor (KSP_PIN's PinId and Reserved, then any more).
NTSTATUS callFilterProperty(IMiniportWaveRT* miniport, const PCPROPERTY_ITEM* item, ULONG verb,
                            PVOID instance, ULONG instanceSize, PVOID value, ULONG* valueSize) {
  PCPROPERTY_REQUEST request = {};
  request.MajorTarget = miniport;
  request.MinorTarget = nullptr;
  request.Node = ULONG(-1);
  request.PropertyItem = item;
  request.Verb = verb;
  request.InstanceSize = instanceSize;
  request.Instance = instance;
  request.ValueSize = *valueSize;
  request.Value = value;
  request.Irp = nullptr;
  const NTSTATUS status = item->Handler(&request);
  *valueSize = request.ValueSize;
  return status;
}

// KSPROPERTY_PIN_PROPOSEDATAFORMAT (SET) on the render pin.
NTSTATUS proposeFormat(IMiniportWaveRT* miniport, const PCFILTER_DESCRIPTOR* filter,
                       StreamFormat* format) {
  const PCPROPERTY_ITEM* item = filterProperty(filter, kPinProposeDataFormat, KSPROPERTY_TYPE_SET);
  if (item == nullptr) return STATUS_NOT_IMPLEMENTED;
  ULONG pin[2] = {0, 0};  // KSP_PIN.PinId = render pin, Reserved
  ULONG size = format->header.FormatSize;
  return callFilterProperty(miniport, item, KSPROPERTY_TYPE_SET, pin, sizeof(pin), format, &size);
}

// The audio engine only opens a format the render pin's data ranges admit.
bool renderPinAdmits(const PCFILTER_DESCRIPTOR* filter, const StreamSpec& s, bool record) {
  if (filter->PinCount == 0) return false;
  const KSPIN_DESCRIPTOR& pin = filter->Pins[0].KsPinDescriptor;
  if (record) {
    recordLine(kPortClsRecord, "render_pin dataflow_in=%d sink=%d ranges=%lu",
               pin.DataFlow == KSPIN_DATAFLOW_IN, pin.Communication == KSPIN_COMMUNICATION_SINK,
               pin.DataRangesCount);
  }
  bool admitted = false;
  for (ULONG i = 0; i < pin.DataRangesCount; ++i) {
    const KSDATARANGE* range = pin.DataRanges[i];
    const bool audio = range->FormatSize == sizeof(KSDATARANGE_AUDIO) &&
                       IsEqualGUIDAligned(range->MajorFormat, kTypeAudio) &&
                       IsEqualGUIDAligned(range->SubFormat, kSubtypePcm) &&
                       IsEqualGUIDAligned(range->Specifier, kSpecifierWaveFormatEx);
    if (!audio) {
      if (record) recordLine(kPortClsRecord, "range index=%lu not_pcm_audio", i);
      continue;
    }
    const auto* a = reinterpret_cast<const KSDATARANGE_AUDIO*>(range);
    if (record) {
      recordLine(kPortClsRecord, "range index=%lu rate=%lu-%lu bits=%lu-%lu channels=%lu", i,
                 a->MinimumSampleFrequency, a->MaximumSampleFrequency, a->MinimumBitsPerSample,
                 a->MaximumBitsPerSample, a->MaximumChannels);
    }
    // A PCM range admits integer PCM only; the valid bits are not part of a range.
    admitted = admitted ||
               (!s.isFloat && s.rate >= a->MinimumSampleFrequency &&
                s.rate <= a->MaximumSampleFrequency && s.bits >= a->MinimumBitsPerSample &&
                s.bits <= a->MaximumBitsPerSample && s.channels >= 1 &&
                s.channels <= a->MaximumChannels);
  }
  return admitted;
}

// Writes frames [from, to) of the signal into the cyclic buffer, silence where the spec says.
void writeSignal(UCHAR* buffer, ULONG bufferFrames, const StreamSpec& s, ULONGLONG from,
                 ULONGLONG to) {
  const ULONG bytesPerSample = s.bits / 8;
  // Fewer valid bits than the container: the sample is left-justified, the low bits zero.
  const ULONG unused = s.validBits != 0 && s.validBits < s.bits ? s.bits - s.validBits : 0;
  const ULONG keep = ~((1u << unused) - 1u);
  for (ULONGLONG frame = from; frame < to; ++frame) {
    UCHAR* out = buffer + (frame % bufferFrames) * bytesPerSample * s.channels;
    const bool silent = frame >= s.silenceAt && frame < s.silenceAt + s.silenceFrames;
    for (ULONG c = 0; c < s.channels; ++c) {
      const ULONG sample = silent ? 0 : signalSample(frame, c) & keep;
      for (ULONG b = 0; b < bytesPerSample; ++b) *out++ = static_cast<UCHAR>(sample >> (8 * b));
    }
  }
}

NTSTATUS setState(IMiniportWaveRTStream* stream, KSSTATE state, const char* name) {
  const NTSTATUS status = stream->SetState(state);
  recordLine(kPortClsRecord, "state %s status=0x%08lx", name, status);
  return status;
}

ULONG positionBytes(IMiniportWaveRTStream* stream) {
  KSAUDIO_POSITION position = {};
  stream->GetPosition(&position);
  return static_cast<ULONG>(position.PlayOffset);
}

ULONGLONG nowMs() {
  LARGE_INTEGER frequency;
  const LARGE_INTEGER counter = KeQueryPerformanceCounter(&frequency);
  return static_cast<ULONGLONG>(counter.QuadPart) * 1000 / frequency.QuadPart;
}

// Plays one stream that is open and has its buffer: RUN for the scenario's time, keeping the
// signal half a buffer ahead of the reported position, then back down to STOP.
bool play(IMiniportWaveRTStream* stream, UCHAR* buffer, ULONG bufferBytes, const StreamSpec& s,
          PKEVENT notification, ULONG index, ULONG run) {
  const ULONG bytesPerSample = s.bits / 8;
  const ULONG blockAlign = bytesPerSample * s.channels;
  const ULONG bufferFrames = bufferBytes / blockAlign;
  // Half ahead, half behind: this thread may stall for up to half the buffer before the driver
  // reads stale audio, and the driver's DPC as long before it reads overwritten audio. Stalls of
  // Wine under load were measured at 150 ms and, once, 503 ms: the tests use 2 s buffers.
  const ULONG lead = bufferFrames / 2;
  writeSignal(buffer, bufferFrames, s, 0, lead);
  ULONGLONG written = lead;
  ULONGLONG played = 0;
  ULONG lastOffset = 0;
  ULONG notifications = 0;
  ULONG misaligned = 0;
  ULONGLONG slowestPositionMs = 0;  // GetPosition waits for the DPC's spin lock
  ULONGLONG longestPollGapMs = 0;   // stalls of this thread (Wine under load)
  if (!NT_SUCCESS(setState(stream, KSSTATE_ACQUIRE, "acquire")) ||
      !NT_SUCCESS(setState(stream, KSSTATE_PAUSE, "pause")) ||
      !NT_SUCCESS(setState(stream, KSSTATE_RUN, "run"))) {
    return false;
  }
  const ULONGLONG start = nowMs();
  ULONGLONG lastPoll = start;
  bool formatChangeAsked = s.setFormatBits == 0;
  bool muteAsked = s.muteAtMs == 0;
  bool unmuteAsked = s.unmuteAtMs == 0;
  bool surpriseSent = s.surpriseAtMs == 0;
  while (nowMs() - start < s.milliseconds) {
    // The mute node switched as the volume mixer does; the record says what it read back.
    const auto switchMute = [&](BOOL on, const char* what) {
      BOOL readBack = !on;
      const NTSTATUS status = setMute(on, &readBack);
      recordLine(kPortClsRecord, "mute %s index=%lu status=0x%08lx read_back=%d at_frame=%llu",
                 what, index, status, readBack, played);
    };
    if (!muteAsked && nowMs() - start >= s.muteAtMs) {
      switchMute(TRUE, "set");
      muteAsked = true;
    }
    if (!unmuteAsked && nowMs() - start >= s.unmuteAtMs) {
      switchMute(FALSE, "cleared");
      unmuteAsked = true;
    }
    if (!surpriseSent && nowMs() - start >= s.surpriseAtMs) {
      // The device goes away under a running stream: PnP says so first; the audio engine then
      // stops and closes the stream (below, as at the end of every run) before REMOVE follows.
      const NTSTATUS status = g_device.surpriseRemoval != nullptr
                                  ? g_device.surpriseRemoval(g_device.context)
                                  : STATUS_NOT_IMPLEMENTED;
      recordLine(kPortClsRecord, "surprise_removal index=%lu status=0x%08lx at_frame=%llu", index,
                 status, played);
      surpriseSent = true;
      break;
    }
    if (!formatChangeAsked && nowMs() - start >= s.milliseconds / 2) {
      // The audio engine may ask a running stream to change format; the buffer was sized for
      // the old one, so the driver must refuse (the stream then simply continues).
      StreamSpec changed = s;
      changed.bits = s.setFormatBits;
      StreamFormat format = makeFormat(changed);
      recordLine(kPortClsRecord, "setformat index=%lu bits=%lu status=0x%08lx", index,
                 changed.bits, stream->SetFormat(&format.header));
      formatChangeAsked = true;
    }
    sleepMs(5);
    const ULONGLONG before = nowMs();
    const ULONG offset = positionBytes(stream);
    const ULONGLONG after = nowMs();
    if (after - before > slowestPositionMs) slowestPositionMs = after - before;
    if (after - lastPoll > longestPollGapMs) longestPollGapMs = after - lastPoll;
    lastPoll = after;
    if (offset % blockAlign != 0 || offset >= bufferBytes) ++misaligned;
    played += ((offset + bufferBytes - lastOffset) % bufferBytes) / blockAlign;
    lastOffset = offset;
    writeSignal(buffer, bufferFrames, s, written, played + lead);
    written = played + lead;
    if (notification != nullptr && KeReadStateEvent(notification) != 0) {
      ++notifications;
      KeClearEvent(notification);
    }
  }
  const ULONGLONG elapsed = nowMs() - start;
  setState(stream, KSSTATE_PAUSE, "pause");
  const ULONG pausedOffset = positionBytes(stream);
  played += ((pausedOffset + bufferBytes - lastOffset) % bufferBytes) / blockAlign;
  sleepMs(100);
  const bool held = positionBytes(stream) == pausedOffset;
  recordLine(kPortClsRecord,
             "played index=%lu run=%lu frames=%llu run_ms=%llu position_held_in_pause=%d misaligned=%lu "
             "notifications=%lu slowest_position_ms=%llu longest_poll_gap_ms=%llu",
             index, run, played, elapsed, held, misaligned, notifications, slowestPositionMs,
             longestPollGapMs);
  setState(stream, KSSTATE_ACQUIRE, "acquire");
  setState(stream, KSSTATE_STOP, "stop");
  recordLine(kPortClsRecord, "stopped position=%lu", positionBytes(stream));
  return misaligned == 0 && held;
}

}  // namespace

void setEngineDevice(const EngineDevice& device) { g_device = device; }

bool probeFormatNegotiation(IMiniportWaveRT* miniport) {
  PPCFILTER_DESCRIPTOR filter = nullptr;
  if (!NT_SUCCESS(miniport->GetDescription(&filter)) || filter == nullptr) return false;
  bool ok = true;
  StreamSpec none;
  none.rate = 0;
  renderPinAdmits(filter, none, true);  // records the pin and its ranges once

  // The default format, as the audio engine asks for it (KSPROPERTY_PIN_PROPOSEDATAFORMAT2,
  // default signal-processing mode): first the size, then the format.
  const PCPROPERTY_ITEM* item = filterProperty(filter, kPinProposeDataFormat2, KSPROPERTY_TYPE_GET);
#pragma pack(push, 1)
  struct {
    ULONG pinId;
    ULONG reserved;
    KSMULTIPLE_ITEM attributes;
    KSATTRIBUTE mode;
    GUID modeValue;
  } descriptor = {0, 0, {sizeof(KSMULTIPLE_ITEM) + sizeof(KSATTRIBUTE) + sizeof(GUID), 1},
                  {sizeof(KSATTRIBUTE) + sizeof(GUID), 0, kAttributeProcessingMode},
                  kProcessingModeDefault};
#pragma pack(pop)
  StreamFormat preferred = {};
  ULONG size = 0;
  NTSTATUS sizeStatus = STATUS_NOT_IMPLEMENTED;
  NTSTATUS status = STATUS_NOT_IMPLEMENTED;
  if (item != nullptr) {
    sizeStatus = callFilterProperty(miniport, item, KSPROPERTY_TYPE_GET, &descriptor,
                                    sizeof(descriptor), nullptr, &size);
    ULONG full = sizeof(preferred);
    status = callFilterProperty(miniport, item, KSPROPERTY_TYPE_GET, &descriptor,
                                sizeof(descriptor), &preferred, &full);
    size = full;
  }
  const WAVEFORMATEX& w = preferred.wave.Format;
  const bool wellFormed =
      NT_SUCCESS(status) && size == sizeof(StreamFormat) &&
      preferred.header.FormatSize == sizeof(StreamFormat) &&
      IsEqualGUIDAligned(preferred.header.MajorFormat, kTypeAudio) &&
      IsEqualGUIDAligned(preferred.header.SubFormat, kSubtypePcm) &&
      IsEqualGUIDAligned(preferred.header.Specifier, kSpecifierWaveFormatEx) &&
      w.wFormatTag == WAVE_FORMAT_EXTENSIBLE && IsEqualGUIDAligned(preferred.wave.SubFormat, kSubtypePcm) &&
      w.nBlockAlign == w.nChannels * (w.wBitsPerSample / 8) &&
      w.nAvgBytesPerSec == w.nSamplesPerSec * w.nBlockAlign;
  const NTSTATUS defaultProposed =
      wellFormed ? proposeFormat(miniport, filter, &preferred) : STATUS_UNSUCCESSFUL;
  recordLine(kPortClsRecord,
             "default_format size_status=0x%08lx status=0x%08lx well_formed=%d rate=%lu bits=%u "
             "valid=%u channels=%u mask=0x%lx proposed=0x%08lx",
             sizeStatus, status, wellFormed, w.nSamplesPerSec, w.wBitsPerSample,
             preferred.wave.Samples.wValidBitsPerSample, w.nChannels,
             preferred.wave.dwChannelMask, defaultProposed);
  if (!wellFormed || !NT_SUCCESS(defaultProposed)) {
    recordLine(kPortClsRecord, "failure: no usable default format");
    ok = false;
  }

  // Formats the audio engine might propose. `want` is what Scream must answer; the data ranges,
  // the proposal and NewStream must agree with it (valid bits are invisible to the ranges).
  struct Probe {
    const char* name;
    ULONG rate, bits, validBits, channels, isFloat;
    bool want;
  };
  static const Probe kProbes[] = {
      {"48k_16_2ch", 48000, 16, 16, 2, 0, true},
      {"44k1_24_6ch", 44100, 24, 24, 6, 0, true},
      {"192k_32_8ch", 192000, 32, 32, 8, 0, true},
      {"48k_24in32_2ch", 48000, 32, 24, 2, 0, true},
      {"96k_20in24_5ch", 96000, 24, 20, 5, 0, true},
      {"22k05_16_2ch", 22050, 16, 16, 2, 0, false},
      {"384k_16_2ch", 384000, 16, 16, 2, 0, false},
      {"48k_8_2ch", 48000, 8, 8, 2, 0, false},
      {"48k_20_2ch", 48000, 20, 20, 2, 0, false},
      {"48k_16_9ch", 48000, 16, 16, 9, 0, false},
      {"48k_float32_2ch", 48000, 32, 32, 2, 1, false},
  };
  for (const Probe& p : kProbes) {
    StreamSpec s;
    s.rate = p.rate;
    s.bits = p.bits;
    s.validBits = p.validBits;
    s.channels = p.channels;
    s.channelMask = 0;
    s.isFloat = p.isFloat;
    StreamFormat format = makeFormat(s);
    const bool ranges = renderPinAdmits(filter, s, false);
    const NTSTATUS proposed = proposeFormat(miniport, filter, &format);
    PortStream portStream;
    PMINIPORTWAVERTSTREAM stream = nullptr;
    const NTSTATUS opened = miniport->NewStream(&stream, &portStream, 0, FALSE, &format.header);
    ULONG refsLeft = 0;
    if (stream != nullptr) refsLeft = stream->Release();
    const bool agree = ranges == p.want && NT_SUCCESS(proposed) == p.want &&
                       NT_SUCCESS(opened) == p.want && (stream != nullptr) == p.want &&
                       refsLeft == 0;
    recordLine(kPortClsRecord,
               "probe name=%s want=%d ranges=%d propose=0x%08lx newstream=0x%08lx agree=%d",
               p.name, p.want, ranges, proposed, opened, agree);
    if (!agree) {
      recordLine(kPortClsRecord, "failure: format negotiation disagrees for %s", p.name);
      ok = false;
    }
  }
  return ok;
}

bool runAudioEngine(IMiniportWaveRT* miniport, const StreamSpec& s, ULONG index) {
  PPCFILTER_DESCRIPTOR filter = nullptr;
  if (!NT_SUCCESS(miniport->GetDescription(&filter)) || filter == nullptr) return false;
  if (!renderPinAdmits(filter, s, false)) {
    recordLine(kPortClsRecord, "failure: format rate=%lu bits=%lu channels=%lu not advertised",
               s.rate, s.bits, s.channels);
    return false;
  }
  StreamFormat format = makeFormat(s);
  // The audio engine proposes a format before it opens a pin in it, and only opens it if the
  // filter accepts the proposal.
  const NTSTATUS proposed = proposeFormat(miniport, filter, &format);
  if (!NT_SUCCESS(proposed)) {
    recordLine(kPortClsRecord, "failure: PROPOSEDATAFORMAT refused rate=%lu bits=%lu valid=%lu "
               "channels=%lu status=0x%08lx", s.rate, s.bits, s.validBits, s.channels, proposed);
    return false;
  }
  PortStream portStream;
  PMINIPORTWAVERTSTREAM stream = nullptr;
  NTSTATUS status = miniport->NewStream(&stream, &portStream, 0, FALSE, &format.header);
  recordLine(kPortClsRecord,
             "newstream index=%lu rate=%lu bits=%lu valid=%lu channels=%lu mask=0x%lx "
             "status=0x%08lx", index, s.rate, s.bits, s.validBits != 0 ? s.validBits : s.bits,
             s.channels, s.channelMask, status);
  if (!NT_SUCCESS(status) || stream == nullptr) return false;

  PVOID notifying = nullptr;
  stream->QueryInterface(IID_IMiniportWaveRTStreamNotification, &notifying);
  auto* withEvents = static_cast<IMiniportWaveRTStreamNotification*>(notifying);
  const ULONG blockAlign = s.channels * (s.bits / 8);
  const ULONG requested = (s.rate * s.bufferMs / 1000) * blockAlign;
  PMDL mdl = nullptr;
  ULONG actual = 0;
  ULONG offset = 0;
  MEMORY_CACHING_TYPE caching = MmNonCached;
  const bool useEvents = withEvents != nullptr && s.notifications != 0;
  status = useEvents ? withEvents->AllocateBufferWithNotification(s.notifications, requested, &mdl,
                                                                  &actual, &offset, &caching)
                     : stream->AllocateAudioBuffer(requested, &mdl, &actual, &offset, &caching);
  const bool bufferOk = NT_SUCCESS(status) && mdl == portStream.mdl() && offset == 0 &&
                        actual > 0 && actual <= requested && actual % blockAlign == 0 &&
                        (!useEvents || actual % (blockAlign * s.notifications) == 0);
  recordLine(kPortClsRecord,
             "buffer notifications=%lu requested=%lu actual=%lu offset=%lu caching=%d "
             "status=0x%08lx ok=%d",
             useEvents ? s.notifications : 0, requested, actual, offset, caching, status, bufferOk);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  bool ok = bufferOk;
  if (ok && useEvents) ok = NT_SUCCESS(withEvents->RegisterNotificationEvent(&event));
  // After STOP the position is back at 0, so each run writes the signal from frame 0 again.
  for (ULONG run = 0; ok && run < s.runs; ++run) {
    ok = play(stream, portStream.memory(), actual, s, useEvents ? &event : nullptr, index, run);
  }
  if (useEvents) withEvents->UnregisterNotificationEvent(&event);
  if (NT_SUCCESS(status)) {
    if (useEvents) {
      withEvents->FreeBufferWithNotification(mdl, actual);
    } else {
      stream->FreeAudioBuffer(mdl, actual);
    }
  }
  if (withEvents != nullptr) withEvents->Release();
  const ULONG streamRefs = stream->Release();
  recordLine(kPortClsRecord, "closed stream_refs_left=%lu port_stream_refs_left=%ld "
             "buffer_freed=%d", streamRefs, portStream.refs(), portStream.mdl() == nullptr);
  return ok && streamRefs == 0 && portStream.refs() == 1 && portStream.mdl() == nullptr;
}

namespace {

// Applies "key=value key=value ..." from one line of the scenario to `spec`.
void parseStreamLine(const char* line, const char* end, StreamSpec* spec) {
  struct Field {
    const char* key;
    ULONG* value;
  } fields[] = {{"rate", &spec->rate},         {"bits", &spec->bits},
                {"valid_bits", &spec->validBits},
                {"channels", &spec->channels}, {"mask", &spec->channelMask},
                {"ms", &spec->milliseconds},   {"buffer_ms", &spec->bufferMs},
                {"notifications", &spec->notifications}, {"runs", &spec->runs},
                {"silence_at", &spec->silenceAt}, {"silence_frames", &spec->silenceFrames},
                {"setformat_bits", &spec->setFormatBits}, {"mute_at_ms", &spec->muteAtMs},
                {"unmute_at_ms", &spec->unmuteAtMs}, {"surprise_at_ms", &spec->surpriseAtMs}};
  for (const char* token = line; token < end;) {
    while (token < end && *token == ' ') ++token;
    for (const Field& field : fields) {
      size_t k = 0;
      while (field.key[k] != 0 && token + k < end && token[k] == field.key[k]) ++k;
      if (field.key[k] != 0 || token + k >= end || token[k] != '=') continue;
      ULONG value = 0;
      for (const char* p = token + k + 1; p < end && *p >= '0' && *p <= '9'; ++p) {
        value = value * 10 + static_cast<ULONG>(*p - '0');
      }
      *field.value = value;
    }
    while (token < end && *token != ' ') ++token;
  }
}

// "bytes=N path=/dev/shm/NAME fail_map_from=K" (see IvshmemSpec).
void parseIvshmemLine(const char* line, const char* end, Scenario* scenario) {
  if (scenario->ivshmemCount == kMaxIvshmemDevices) return;
  IvshmemSpec& spec = scenario->ivshmem[scenario->ivshmemCount];
  spec.index = scenario->ivshmemCount++;
  for (const char* token = line; token < end;) {
    while (token < end && *token == ' ') ++token;
    const char* value = token;
    while (value < end && *value != '=' && *value != ' ') ++value;
    const size_t keyLength = static_cast<size_t>(value - token);
    const char* next = value;
    while (next < end && *next != ' ') ++next;
    if (value < end && *value == '=') {
      ++value;
      auto is = [&](const char* key) {
        size_t k = 0;
        while (key[k] != 0 && k < keyLength && key[k] == token[k]) ++k;
        return key[k] == 0 && k == keyLength;
      };
      ULONGLONG number = 0;
      for (const char* p = value; p < next && *p >= '0' && *p <= '9'; ++p) {
        number = number * 10 + static_cast<ULONGLONG>(*p - '0');
      }
      if (is("bytes")) spec.bytes = number;
      if (is("fail_map_from")) spec.failMapFrom = static_cast<ULONG>(number);
      if (is("path")) {
        size_t n = 0;
        for (const char* p = value; p < next && n + 1 < sizeof(spec.path); ++p) spec.path[n++] = *p;
        spec.path[n] = 0;
      }
    }
    token = next;
  }
}

}  // namespace

void readScenario(Scenario* scenario) {
  *scenario = Scenario();
  constexpr size_t kTextBytes = 64 * 1024;
  char* text = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, kTextBytes, kDoublePoolTag));
  if (text == nullptr) return;
  const size_t length = hostReadFile("scenario.txt", text, kTextBytes - 1);
  text[length] = 0;
  for (const char* line = text; *line != 0 && scenario->streamCount < kMaxStreams;) {
    const char* end = line;
    while (*end != 0 && *end != '\n') ++end;
    if (end - line > 8 && RtlCompareMemory(line, "ivshmem ", 8) == 8) {
      parseIvshmemLine(line + 8, end, scenario);
    } else if (end - line > 8 && RtlCompareMemory(line, "devices=", 8) == 8) {
      scenario->devices = static_cast<ULONG>(line[8] - '0');
      recordLine(kPortClsRecord, "scenario devices=%lu", scenario->devices);
    } else if (end > line) {
      StreamSpec& s = scenario->streams[scenario->streamCount];
      parseStreamLine(line, end, &s);
      recordLine(kPortClsRecord,
                 "scenario index=%lu rate=%lu bits=%lu valid_bits=%lu channels=%lu mask=0x%lx "
                 "ms=%lu buffer_ms=%lu notifications=%lu runs=%lu",
                 scenario->streamCount, s.rate, s.bits, s.validBits, s.channels, s.channelMask,
                 s.milliseconds, s.bufferMs, s.notifications, s.runs);
      ++scenario->streamCount;
    }
    line = *end != 0 ? end + 1 : end;
  }
  ExFreePoolWithTag(text, kDoublePoolTag);
}
