/* sobel.c: the Sobel edge filter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! sobel direction=magnitude' -o out/ photos/
 */
#include "gradient.h"

#include <string.h>

typedef struct {
  CnnfiltGradient parent_instance;
} CnnfiltSobel;

typedef struct {
  CnnfiltGradientClass parent_class;
} CnnfiltSobelClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSobel, cnnfilt_sobel, CNNFILT_TYPE_GRADIENT)

static void
cnnfilt_sobel_class_init (CnnfiltSobelClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  static const gfloat smooth[3] = { 1, 2, 1 };
  op_class->name = "sobel";
  op_class->description = "Sobel edge filter: 3×3 derivative with [1 2 1] smoothing; x, y or gradient magnitude";
  memcpy (CNNFILT_GRADIENT_CLASS (klass)->smooth, smooth, sizeof smooth);
}

static void
cnnfilt_sobel_class_finalize (CnnfiltSobelClass *klass)
{
}

static void
cnnfilt_sobel_init (CnnfiltSobel *self)
{
}
