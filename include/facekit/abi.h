/* facekit/abi.h: the sizes and field offsets of the public structs as this build laid them out, for bindings that mirror them (ctypes, cffi). */
#ifndef FACEKIT_ABI_H
#define FACEKIT_ABI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Usage (a binding checks its own mirror of a struct before trusting it):
 *     if (fk_abi_sizeof("fk_face") != sizeof(my_fk_face)) refuse to load;
 *     if (fk_abi_offsetof("fk_face", "descriptor") != offsetof(my_fk_face, descriptor)) refuse to load;
 *
 * A binding that mirrors a struct by hand breaks silently when a field is added or moved; these
 * answer from the compiler's own layout, so the binding can refuse to run instead.
 * Types known: fk_image, fk_error, fk_box, fk_point, fk_face, fk_detect_options, fk_model_info,
 * fk_decode_options, fk_image_limits. */

/* sizeof the named struct; 0 for a name not known (or NULL). */
size_t fk_abi_sizeof(const char *type_name);

/* offsetof the named field of the named struct; (size_t)-1 for a type or field not known. */
size_t fk_abi_offsetof(const char *type_name, const char *field_name);

#ifdef __cplusplus
}
#endif
#endif
