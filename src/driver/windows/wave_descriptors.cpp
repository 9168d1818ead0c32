// The wave filter as KS sees it: a render streaming pin (one data range per rate and depth) wired
// straight to a bridge pin that leads to the topology filter. Constant data only: nothing here
// may need a static constructor.
#include "wave_format.h"
#include "wave_miniport.h"

namespace {

constexpr GUID kCategoryAudio = {STATIC_KSCATEGORY_AUDIO};
constexpr GUID kCategoryRender = {STATIC_KSCATEGORY_RENDER};
constexpr GUID kCategoryRealtime = {0xEB115FFC, 0x10C8, 0x4964, {0x83, 0x1D, 0x6D, 0xCB, 0x02, 0xE6, 0xF2, 0x3F}};

using scream::driver::kEndpointContainerBits;
using scream::driver::kEndpointMaxChannels;
using scream::driver::kEndpointRates;

// One range per accepted rate and container depth, so that a range admits exactly what the
// endpoint rule (driver/core/endpoint_formats.h) accepts: KSDATARANGE_AUDIO cannot list
// discrete depths, and a 16-32 bit range would admit 17-31 bit containers, which NewStream
// refuses. (Valid bits below the container, 24-in-32 included, are accepted.)
constexpr KSDATARANGE_AUDIO pcmRange(ULONG rate, ULONG bits) {
  return KSDATARANGE_AUDIO{
      {{sizeof(KSDATARANGE_AUDIO), 0, 0, 0, {STATIC_KSDATAFORMAT_TYPE_AUDIO},
        {STATIC_KSDATAFORMAT_SUBTYPE_PCM}, {STATIC_KSDATAFORMAT_SPECIFIER_WAVEFORMATEX}}},
      kEndpointMaxChannels,
      bits,
      bits,
      rate,
      rate};
}

#define SCREAM_RANGES_AT(r)                                                        \
  pcmRange(kEndpointRates[r], kEndpointContainerBits[0]),                          \
      pcmRange(kEndpointRates[r], kEndpointContainerBits[1]),                      \
      pcmRange(kEndpointRates[r], kEndpointContainerBits[2])
const KSDATARANGE_AUDIO kPcmRanges[] = {SCREAM_RANGES_AT(0), SCREAM_RANGES_AT(1),
                                        SCREAM_RANGES_AT(2), SCREAM_RANGES_AT(3),
                                        SCREAM_RANGES_AT(4), SCREAM_RANGES_AT(5)};
#undef SCREAM_RANGES_AT
constexpr ULONG kRangeCount = sizeof(kPcmRanges) / sizeof(kPcmRanges[0]);
static_assert(kRangeCount == scream::driver::kEndpointRateCount *
                                 scream::driver::kEndpointContainerCount,
              "one data range per accepted rate and container");

// KS wants non-const pointers in its tables; it never writes through them.
#define SCREAM_RANGE_POINTERS_AT(r) \
  (PKSDATARANGE)&kPcmRanges[3 * r], (PKSDATARANGE)&kPcmRanges[3 * r + 1], \
      (PKSDATARANGE)&kPcmRanges[3 * r + 2]
const PKSDATARANGE kRenderRanges[] = {SCREAM_RANGE_POINTERS_AT(0), SCREAM_RANGE_POINTERS_AT(1),
                                      SCREAM_RANGE_POINTERS_AT(2), SCREAM_RANGE_POINTERS_AT(3),
                                      SCREAM_RANGE_POINTERS_AT(4), SCREAM_RANGE_POINTERS_AT(5)};
#undef SCREAM_RANGE_POINTERS_AT
static_assert(sizeof(kRenderRanges) / sizeof(kRenderRanges[0]) == kRangeCount, "every range");

const KSDATARANGE kBridgeRange = {{sizeof(KSDATARANGE), 0, 0, 0,
                                   {STATIC_KSDATAFORMAT_TYPE_AUDIO},
                                   {STATIC_KSDATAFORMAT_SUBTYPE_ANALOG},
                                   {STATIC_KSDATAFORMAT_SPECIFIER_NONE}}};
const PKSDATARANGE kBridgeRanges[] = {(PKSDATARANGE)&kBridgeRange};

const PCPIN_DESCRIPTOR kPins[] = {
    // kWavePinRender: the audio engine writes here; one instance (one sender).
    {1, 1, 0, nullptr,
     {0, nullptr, 0, nullptr, kRangeCount, kRenderRanges,
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

// Format negotiation as Microsoft's samples (SimpleAudioSample, sysvad) answer it, on the filter:
// PROPOSEDATAFORMAT (SET) says whether a format would be accepted, PROPOSEDATAFORMAT2 (GET)
// gives the endpoint's default format.
constexpr GUID kPropertySetPin = {STATIC_KSPROPSETID_Pin};
const PCPROPERTY_ITEM kFilterProperties[] = {
    {&kPropertySetPin, KSPROPERTY_PIN_PROPOSEDATAFORMAT,
     KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT, handleWaveFilterProperty},
    {&kPropertySetPin, kPinProposeDataFormat2, KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_BASICSUPPORT,
     handleWaveFilterProperty},
};
const PCAUTOMATION_TABLE kFilterAutomation = {
    sizeof(PCPROPERTY_ITEM), sizeof(kFilterProperties) / sizeof(kFilterProperties[0]),
    kFilterProperties, sizeof(PCMETHOD_ITEM), 0, nullptr, sizeof(PCEVENT_ITEM), 0, nullptr, 0};

}  // namespace

extern const PCFILTER_DESCRIPTOR kWaveFilterDescriptor = {
    0,                   // Version
    &kFilterAutomation,  // AutomationTable
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
