/* prewitt.c: the Prewitt edge filter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! prewitt direction=magnitude' -o out/ photos/
 */
#include "gradient.h"

#include <string.h>

typedef struct {
  CnnfiltGradient parent_instance;
} CnnfiltPrewitt;

typedef struct {
  CnnfiltGradientClass parent_class;
} CnnfiltPrewittClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltPrewitt, cnnfilt_prewitt, CNNFILT_TYPE_GRADIENT)

static void
cnnfilt_prewitt_class_init (CnnfiltPrewittClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  static const gfloat smooth[3] = { 1, 1, 1 };
  op_class->name = "prewitt";
  op_class->description = "Prewitt edge filter: 3×3 derivative with [1 1 1] smoothing";
  memcpy (CNNFILT_GRADIENT_CLASS (klass)->smooth, smooth, sizeof smooth);
}

static void
cnnfilt_prewitt_class_finalize (CnnfiltPrewittClass *klass)
{
}

static void
cnnfilt_prewitt_init (CnnfiltPrewitt *self)
{
}
