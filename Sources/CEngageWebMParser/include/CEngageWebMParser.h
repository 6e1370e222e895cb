#ifndef CENGAGE_WEBM_PARSER_H
#define CENGAGE_WEBM_PARSER_H
// A C view of libwebm's parser, used by tests as an independent reader of our files.
#endif
