/* filter.h: the base of the classic plugin's kernel filters
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A filter correlates every channel of every image with one kernel, or with
 * two whose responses combine as sqrt(a² + b²) (gradient magnitude). It
 * owns what all of them share: the border property, padding and stride,
 * separable kernels done in two passes, and scratch buffers kept between
 * runs. Subclasses only say which kernels their properties mean.
 */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

/* How pixels outside the image are made up. */
typedef enum {
  CNNFILT_BORDER_ZERO,      /* 0, as CNN frameworks pad */
  CNNFILT_BORDER_REPLICATE, /* the nearest edge pixel: aaa|abcd|ddd */
  CNNFILT_BORDER_REFLECT,   /* mirrored without repeating the edge: cb|abcd|cb */
} CnnfiltBorder;

GType cnnfilt_border_get_type (void);
#define CNNFILT_TYPE_BORDER (cnnfilt_border_get_type ())

/* A kernel of kh × kw values, applied as cross-correlation (not flipped).
 * When row and column are set the kernel is their outer product,
 * values[i][j] = column[i] * row[j], and runs in two 1-D passes. */
typedef struct {
  guint kh, kw;
  gfloat *values;
  gfloat *row;
  gfloat *column;
} FilterKernel;

FilterKernel *filter_kernel_new           (guint kh, guint kw, const gfloat *values);
FilterKernel *filter_kernel_new_separable (const gfloat *column, guint kh,
                                           const gfloat *row, guint kw);
void          filter_kernel_free          (FilterKernel *kernel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FilterKernel, filter_kernel_free)

#define CNNFILT_TYPE_FILTER (cnnfilt_filter_get_type ())
G_DECLARE_DERIVABLE_TYPE (CnnfiltFilter, cnnfilt_filter, CNNFILT, FILTER, CnnfiltOp)

struct _CnnfiltFilterClass {
  CnnfiltOpClass parent_class;
  /* The kernels for the current properties: one, or two for a magnitude.
   * Fills kernels[0] (and kernels[1]) and returns how many, or 0 with an
   * error naming the property at fault. */
  guint (*make_kernels) (CnnfiltFilter *self, FilterKernel *kernels[2], GError **error);
};

/* Subclasses that take these as properties set them; the defaults are
 * stride 1, "same" padding (the output has the input's size) and offset 0. */
void cnnfilt_filter_set_geometry (CnnfiltFilter *self, guint stride, gint padding, gfloat offset);

/* Installs the border property with this class's default and the reason. */
void cnnfilt_filter_class_install_border (CnnfiltFilterClass *klass, guint prop_id,
                                          CnnfiltBorder default_border, const gchar *why);
CnnfiltBorder cnnfilt_filter_get_border (CnnfiltFilter *self);
void          cnnfilt_filter_set_border (CnnfiltFilter *self, CnnfiltBorder border);

void cnnfilt_filter_register (GTypeModule *module);

G_END_DECLS
