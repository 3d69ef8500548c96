/*  ktag.h - libktag: tags Korean financial news with companies, orgs, chips,
    funding events and sentiment.  Include this umbrella header.

    Typical use:
        ktag_lexicon_t *lex = ktag_lexicon_open(ktag_default_lexicon_dir(), &err);
        ktag_result_t *res = ktag_result_new();
        ktag_tag(res, lex, text, strlen(text), NULL, 0, NULL, &err);
        for (size_t i = 0; i < ktag_result_entity_count(res); i++) ...
        ktag_result_destroy(&res);
        ktag_lexicon_destroy(&lex);
*/
#ifndef KTAG_H_INCLUDED
#define KTAG_H_INCLUDED

#include "ktag_error.h"
#include "ktag_export.h"
#include "ktag_lexicon.h"
#include "ktag_tagger.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @returns the library version, e.g. "0.2.0". */
KTAG_EXPORT const char *ktag_version(void);

/** @returns the directory of the installed lexicons this library was built
 *  with (<datadir>/ktag/lexicons). */
KTAG_EXPORT const char *ktag_default_lexicon_dir(void);

#ifdef __cplusplus
}
#endif

#endif
