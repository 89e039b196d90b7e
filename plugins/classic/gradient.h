/* gradient.h: first-derivative filters (sobel, scharr, prewitt)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each is a 3×3 derivative [-1 0 1] across the direction, smoothed along it
 * by the subclass's weights: Sobel [1 2 1], Scharr [3 10 3], Prewitt
 * [1 1 1]. So Gx = smooth^T · [-1 0 1] and Gy = [1 0 -1]^T · smooth, and
 * the magnitude is sqrt(Gx² + Gy²).
 */
#pragma once

#include "filter.h"

G_BEGIN_DECLS

typedef enum {
  CNNFILT_GRADIENT_X,
  CNNFILT_GRADIENT_Y,
  CNNFILT_GRADIENT_MAGNITUDE,
} CnnfiltGradientDirection;

GType cnnfilt_gradient_direction_get_type (void);
#define CNNFILT_TYPE_GRADIENT_DIRECTION (cnnfilt_gradient_direction_get_type ())

#define CNNFILT_TYPE_GRADIENT (cnnfilt_gradient_get_type ())
#define CNNFILT_GRADIENT_CLASS(klass) \
  (G_TYPE_CHECK_CLASS_CAST ((klass), CNNFILT_TYPE_GRADIENT, CnnfiltGradientClass))
#define CNNFILT_GRADIENT_GET_CLASS(obj) \
  (G_TYPE_INSTANCE_GET_CLASS ((obj), CNNFILT_TYPE_GRADIENT, CnnfiltGradientClass))
GType cnnfilt_gradient_get_type (void);

typedef struct {
  CnnfiltFilter parent_instance;
  CnnfiltGradientDirection direction;
} CnnfiltGradient;

typedef struct {
  CnnfiltFilterClass parent_class;
  gfloat smooth[3];
} CnnfiltGradientClass;

void cnnfilt_gradient_register (GTypeModule *module);

G_END_DECLS
