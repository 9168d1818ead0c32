// The wave filter as KS sees it: a render streaming pin (one data range per supported rate) wired
// straight to a bridge pin that leads to the topology filter. Constant data only: nothing here
// may need a static constructor.
#include "wave_format.h"
#include "wave_miniport.h"

namespace {

constexpr GUID kCategoryAudio = {STATIC_KSCATEGORY_AUDIO};
constexpr GUID kCategoryRender = {STATIC_KSCATEGORY_RENDER};
constexpr GUID kCategoryRealtime = {0xEB115FFC, 0x10C8, 0x4964, {0x83, 0x1D, 0x6D, 0xCB, 0x02, 0xE6, 0xF2, 0x3F}};

constexpr KSDATARANGE_AUDIO pcmRange(ULONG rate) {
  return KSDATARANGE_AUDIO{
      {{sizeof(KSDATARANGE_AUDIO), 0, 0, 0, {STATIC_KSDATAFORMAT_TYPE_AUDIO},
        {STATIC_KSDATAFORMAT_SUBTYPE_PCM}, {STATIC_KSDATAFORMAT_SPECIFIER_WAVEFORMATEX}}},
      kMaxChannels,
      kMinBits,
      kMaxBits,
      rate,
      rate};
}

const KSDATARANGE_AUDIO kPcmRanges[] = {
    pcmRange(kSupportedRates[0]), pcmRange(kSupportedRates[1]), pcmRange(kSupportedRates[2]),
    pcmRange(kSupportedRates[3]), pcmRange(kSupportedRates[4]), pcmRange(kSupportedRates[5]),
};
static_assert(sizeof(kPcmRanges) / sizeof(kPcmRanges[0]) ==
                  sizeof(kSupportedRates) / sizeof(kSupportedRates[0]),
              "one data range per supported rate");

// KS wants non-const pointers in its tables; it never writes through them.
const PKSDATARANGE kRenderRanges[] = {
    (PKSDATARANGE)&kPcmRanges[0], (PKSDATARANGE)&kPcmRanges[1], (PKSDATARANGE)&kPcmRanges[2],
    (PKSDATARANGE)&kPcmRanges[3], (PKSDATARANGE)&kPcmRanges[4], (PKSDATARANGE)&kPcmRanges[5],
};

const KSDATARANGE kBridgeRange = {{sizeof(KSDATARANGE), 0, 0, 0,
                                   {STATIC_KSDATAFORMAT_TYPE_AUDIO},
                                   {STATIC_KSDATAFORMAT_SUBTYPE_ANALOG},
                                   {STATIC_KSDATAFORMAT_SPECIFIER_NONE}}};
const PKSDATARANGE kBridgeRanges[] = {(PKSDATARANGE)&kBridgeRange};

const PCPIN_DESCRIPTOR kPins[] = {
    // kWavePinRender: the audio engine writes here; one instance (one sender).
    {1, 1, 0, nullptr,
     {0, nullptr, 0, nullptr, sizeof(kRenderRanges) / sizeof(kRenderRanges[0]), kRenderRanges,
      KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_SINK, &kCategoryAudio, nullptr, {0}}},
    // kWavePinBridge: the analog side, connected to the topology filter.
    {0, 0, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, kBridgeRanges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_NONE,
      &kCategoryAudio, nullptr, {0}}},
};

const PCCONNECTION_DESCRIPTOR kConnections[] = {
    {PCFILTER_NODE, kWavePinRender, PCFILTER_NODE, kWavePinBridge},
};

const GUID kCategories[] = {kCategoryAudio, kCategoryRender, kCategoryRealtime};

}  // namespace

extern const PCFILTER_DESCRIPTOR kWaveFilterDescriptor = {
    0,        // Version
    nullptr,  // AutomationTable
    sizeof(PCPIN_DESCRIPTOR),
    sizeof(kPins) / sizeof(kPins[0]),
    kPins,
    sizeof(PCNODE_DESCRIPTOR),
    0,
    nullptr,
    sizeof(kConnections) / sizeof(kConnections[0]),
    kConnections,
    sizeof(kCategories) / sizeof(kCategories[0]),
    kCategories,
};
