/*
 * ocds_jv_compat.h - compiles an OCDS core file a second time, reading
 * jv trees (jv.h) instead of jansson ones.
 *
 * Why: the importer checks, canonicalizes and merges every release; on
 * jansson trees that cost a fifth of its CPU in building, hashing and
 * freeing nodes. The check, the JCS writer and the text merge are the
 * definition of what Belfry accepts and writes, so they must not exist
 * twice in the source. The Makefile builds these files twice: as they
 * are (jansson, for the API, the lifecycle and every other caller) and
 * with -DOCDS_JV and this header forced first (the importer's batch
 * path, ocds_publish.c). The jv accessors answer as jansson's do, so both
 * objects behave the same on the same JSON; tests compare them.
 *
 * How: json_t and the read accessors the files use are renamed to their
 * jv_ equivalents, and every function the files export gets a _jv
 * suffix, so both objects link into one program. Construction and
 * reference counting are not renamed: a file that makes values has an
 * #ifdef OCDS_JV for it (the trees are read-only and live in an arena).
 * Headers included after this one see the renamed names, which is the
 * point: their declarations become the jv object's.
 */
#ifndef BELFRY_OCDS_JV_COMPAT_H
#define BELFRY_OCDS_JV_COMPAT_H

#include <jansson.h>
#include "jv.h"

#define json_t jv_t
#define json_object_size jv_object_size
#define json_object_get jv_object_get
#define json_object_getn jv_object_getn
#define json_object_iter jv_object_iter
#define json_object_iter_next jv_object_iter_next
#define json_object_iter_key jv_object_iter_key
#define json_object_iter_key_len jv_object_iter_key_len
#define json_object_iter_value jv_object_iter_value
#define json_array_size jv_array_size
#define json_array_get jv_array_get
#define json_string_value jv_string_value
#define json_string_length jv_string_length
#define json_integer_value jv_integer_value
#define json_real_value jv_real_value
#define json_number_value jv_number_value
#define json_true jv_true
#define json_false jv_false
#define json_null jv_null
#define json_incref(v) (v)
#define json_decref(v) ((void)(v))

/* jansson's foreach macros go from a key back to its iterator; a jv
 * member is found from a loop variable instead (one loop per scope). */
#undef json_object_foreach
#undef json_object_keylen_foreach
#define json_object_keylen_foreach(obj_, k_, kl_, v_)                                                          \
    for (struct jv_member *jv_it_ = jv_object_iter(obj_), *jv_end_ = jv_it_ ? jv_it_ + (obj_)->n : NULL;          \
         jv_it_ && jv_it_ < jv_end_ && ((k_ = jv_it_->key), (kl_ = jv_it_->klen), (v_ = &jv_it_->v), 1); jv_it_++)
#define json_object_foreach(obj_, k_, v_)                                                                      \
    for (struct jv_member *jv_it_ = jv_object_iter(obj_), *jv_end_ = jv_it_ ? jv_it_ + (obj_)->n : NULL;          \
         jv_it_ && jv_it_ < jv_end_ && ((k_ = jv_it_->key), (v_ = &jv_it_->v), 1); jv_it_++)

/* the exported functions of the files built twice */
#define ocds_digest ocds_digest_jv
#define ocds_jcs ocds_jcs_jv
#define ocds_jcs_at ocds_jcs_at_jv
#define ocds_jcs_escape ocds_jcs_escape_jv
#define ocds_jcs_key_cmp ocds_jcs_key_cmp_jv
#define ocds_jcs_number ocds_jcs_number_jv
#define ocds_jcs_string ocds_jcs_string_jv
#define ocds_jcs_visit ocds_jcs_visit_jv
#define ocds_all_objects ocds_all_objects_jv
#define ocds_chk_code ocds_chk_code_jv
#define ocds_chk_fail ocds_chk_fail_jv
#define ocds_chk_get ocds_chk_get_jv
#define ocds_chk_pop ocds_chk_pop_jv
#define ocds_chk_push ocds_chk_push_jv
#define ocds_chk_push_index ocds_chk_push_index_jv
#define ocds_code_in ocds_code_in_jv
#define ocds_code_in_sorted ocds_code_in_sorted_jv
#define ocds_datetime_valid ocds_datetime_valid_jv
#define ocds_release_check ocds_release_check_jv
#define ocds_release_check_jcs ocds_release_check_jcs_jv
#define ocds_check_defence ocds_check_defence_jv
#define ocds_check_withheld ocds_check_withheld_jv
#define ocds_json_equal ocds_json_equal_jv
#define ocds_json_pointer_get ocds_json_pointer_get_jv
#define ocds_json_pointer_index ocds_json_pointer_index_jv
#define ocds_json_pointer_push ocds_json_pointer_push_jv
#define ocds_json_pointer_token ocds_json_pointer_token_jv
#define ocds_entry_line ocds_entry_line_jv
#define ocds_entry_line_digest ocds_entry_line_digest_jv
#define ocds_entry_line_members ocds_entry_line_members_jv
#define ocds_merge_texts ocds_merge_texts_jv
#define ocds_merge_texts_direct ocds_merge_texts_direct_jv
#define ocds_merge_text_write ocds_merge_text_write_jv
#define ocds_merge_sort_releases ocds_merge_sort_releases_jv

#endif
