/* filter.h: the base of the classic plugin's kernel filters
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A filter (an area op) correlates every channel of every image with one kernel, or with
 * two whose responses combine as sqrt(a² + b²) (gradient magnitude). It
 * owns what all of them share: the border, padding, stride and offset,
 * separable kernels done in two passes, and scratch buffers kept between
 * runs. Subclasses only say which kernels their properties mean, and which
 * of the shared fields they take as properties (rows of their table that
 * name the CnnfiltFilter fields, as FILTER_BORDER_PROP does).
 */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

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
#define CNNFILT_FILTER(obj) (G_TYPE_CHECK_INSTANCE_CAST ((obj), CNNFILT_TYPE_FILTER, CnnfiltFilter))
#define CNNFILT_FILTER_CLASS(klass) \
  (G_TYPE_CHECK_CLASS_CAST ((klass), CNNFILT_TYPE_FILTER, CnnfiltFilterClass))
#define CNNFILT_FILTER_GET_CLASS(obj) \
  (G_TYPE_INSTANCE_GET_CLASS ((obj), CNNFILT_TYPE_FILTER, CnnfiltFilterClass))
GType cnnfilt_filter_get_type (void);

/* The instance fields are public so that subclasses' property tables can
 * name them; the defaults are stride 1, "same" padding (the output has the
 * input's size), offset 0 and a zero border. */
typedef struct {
  CnnfiltAreaOp parent_instance; /* its window's border is the filter's */
  guint stride;
  gint padding; /* -1: "same" */
  gfloat offset; /* added to every output value */
} CnnfiltFilter;

typedef struct {
  CnnfiltAreaOpClass parent_class;
  /* The kernels for the current properties: one, or two for a magnitude.
   * Fills kernels[0] (and kernels[1]) and returns how many, or 0 with an
   * error naming the property at fault. */
  guint (*make_kernels) (CnnfiltFilter *self, FilterKernel *kernels[2], GError **error);
} CnnfiltFilterClass;

/* The border row of a filter's property table, with the filter's default
 * (its value and its nick) and why that default suits the filter. */
#define FILTER_BORDER_PROP(default_border, default_nick, why) \
  CNNFILT_AREA_OP_BORDER_PROP (default_border, default_nick, why)

void cnnfilt_filter_register (GTypeModule *module);

G_END_DECLS
