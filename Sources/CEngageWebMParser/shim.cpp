#include "CEngageWebMParser.h"
