// The topology filter as KS sees it. Constant data only.
#include "topology_miniport.h"

namespace {

enum TopologyNode : ULONG { kNodeVolume = 0, kNodeMute = 1 };

constexpr GUID kCategoryAudio = {STATIC_KSCATEGORY_AUDIO};
constexpr GUID kCategoryTopology = {STATIC_KSCATEGORY_TOPOLOGY};
constexpr GUID kNodeTypeSpeaker = {STATIC_KSNODETYPE_SPEAKER};
constexpr GUID kNodeTypeVolume = {STATIC_KSNODETYPE_VOLUME};
constexpr GUID kNodeTypeMute = {STATIC_KSNODETYPE_MUTE};
constexpr GUID kPropertySetAudio = {STATIC_KSPROPSETID_Audio};

const KSDATARANGE kBridgeRange = {{sizeof(KSDATARANGE), 0, 0, 0,
                                   {STATIC_KSDATAFORMAT_TYPE_AUDIO},
                                   {STATIC_KSDATAFORMAT_SUBTYPE_ANALOG},
                                   {STATIC_KSDATAFORMAT_SPECIFIER_NONE}}};
const PKSDATARANGE kBridgeRanges[] = {(PKSDATARANGE)&kBridgeRange};

const PCPIN_DESCRIPTOR kPins[] = {
    // kTopologyPinFromWave
    {0, 0, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, kBridgeRanges, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_NONE,
      &kCategoryAudio, nullptr, {0}}},
    // kTopologyPinLineOut: the category names the endpoint's form factor ("Speakers").
    {0, 0, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, kBridgeRanges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_NONE,
      &kNodeTypeSpeaker, nullptr, {0}}},
};

const PCPROPERTY_ITEM kMuteProperties[] = {
    {&kPropertySetAudio, KSPROPERTY_AUDIO_MUTE,
     KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT, handleMuteProperty},
};
const PCAUTOMATION_TABLE kMuteAutomation = {
    sizeof(PCPROPERTY_ITEM), sizeof(kMuteProperties) / sizeof(kMuteProperties[0]),
    kMuteProperties, sizeof(PCMETHOD_ITEM), 0, nullptr, sizeof(PCEVENT_ITEM), 0, nullptr, 0};

const PCNODE_DESCRIPTOR kNodes[] = {
    {0, nullptr, &kNodeTypeVolume, nullptr},  // kNodeVolume: no property = software volume
    {0, &kMuteAutomation, &kNodeTypeMute, nullptr},  // kNodeMute
};

// Node pins: KSNODEPIN_STANDARD_IN = 1, KSNODEPIN_STANDARD_OUT = 0.
const PCCONNECTION_DESCRIPTOR kConnections[] = {
    {PCFILTER_NODE, kTopologyPinFromWave, kNodeVolume, 1},
    {kNodeVolume, 0, kNodeMute, 1},
    {kNodeMute, 0, PCFILTER_NODE, kTopologyPinLineOut},
};

const GUID kCategories[] = {kCategoryAudio, kCategoryTopology};

}  // namespace

extern const PCFILTER_DESCRIPTOR kTopologyFilterDescriptor = {
    0,
    nullptr,
    sizeof(PCPIN_DESCRIPTOR),
    sizeof(kPins) / sizeof(kPins[0]),
    kPins,
    sizeof(PCNODE_DESCRIPTOR),
    sizeof(kNodes) / sizeof(kNodes[0]),
    kNodes,
    sizeof(kConnections) / sizeof(kConnections[0]),
    kConnections,
    sizeof(kCategories) / sizeof(kCategories[0]),
    kCategories,
};
