#include "CEngageSRTP.h"
