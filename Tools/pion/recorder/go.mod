module engagebot/tools/pion/recorder

go 1.19
