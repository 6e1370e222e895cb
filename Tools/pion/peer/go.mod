module engagebot/tools/pion/peer

go 1.19
