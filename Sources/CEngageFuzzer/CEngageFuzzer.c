// SwiftPM needs a source file in every C target; the header is the whole interface.
#include "CEngageFuzzer.h"
