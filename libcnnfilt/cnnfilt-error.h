/* cnnfilt-error.h: the CNNFILT_ERROR domain
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * CNNFILT_ERROR:
 *
 * Error domain of libcnnfilt. Errors in this domain are from the
 * #CnnfiltError enumeration.
 */
#define CNNFILT_ERROR (cnnfilt_error_quark ())

/**
 * CnnfiltError:
 * @CNNFILT_ERROR_FAILED: a failure that fits no other code
 * @CNNFILT_ERROR_INVALID_ARGUMENT: a bad value: unknown op or property, a value out of range
 * @CNNFILT_ERROR_SHAPE: tensor shapes that do not fit the op or each other
 * @CNNFILT_ERROR_IO: a file could not be read or written
 * @CNNFILT_ERROR_FORMAT: a file is corrupt, truncated or of an unknown format
 * @CNNFILT_ERROR_UNSUPPORTED: a valid request this build cannot carry out
 * @CNNFILT_ERROR_DEVICE: no such device, or the device failed
 * @CNNFILT_ERROR_PLUGIN: a plugin could not be loaded
 *
 * Error codes of the #CNNFILT_ERROR domain.
 */
typedef enum {
  CNNFILT_ERROR_FAILED,
  CNNFILT_ERROR_INVALID_ARGUMENT,
  CNNFILT_ERROR_SHAPE,
  CNNFILT_ERROR_IO,
  CNNFILT_ERROR_FORMAT,
  CNNFILT_ERROR_UNSUPPORTED,
  CNNFILT_ERROR_DEVICE,
  CNNFILT_ERROR_PLUGIN,
} CnnfiltError;

GQuark cnnfilt_error_quark (void);

G_END_DECLS
