/* scharr.c: the Scharr edge filter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! scharr direction=magnitude' -o out/ photos/
 */
#include "gradient.h"

#include <string.h>

typedef struct {
  CnnfiltGradient parent_instance;
} CnnfiltScharr;

typedef struct {
  CnnfiltGradientClass parent_class;
} CnnfiltScharrClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltScharr, cnnfilt_scharr, CNNFILT_TYPE_GRADIENT)

static void
cnnfilt_scharr_class_init (CnnfiltScharrClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  static const gfloat smooth[3] = { 3, 10, 3 };
  op_class->name = "scharr";
  op_class->description = "Scharr edge filter: 3×3 derivative with [3 10 3] smoothing, more rotation-invariant than Sobel";
  memcpy (CNNFILT_GRADIENT_CLASS (klass)->smooth, smooth, sizeof smooth);
}

static void
cnnfilt_scharr_class_finalize (CnnfiltScharrClass *klass)
{
}

static void
cnnfilt_scharr_init (CnnfiltScharr *self)
{
}
