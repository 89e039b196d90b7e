/* cnnfilt-op.h: the abstract operator
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

#define CNNFILT_TYPE_OP (cnnfilt_op_get_type ())
G_DECLARE_DERIVABLE_TYPE (CnnfiltOp, cnnfilt_op, CNNFILT, OP, GObject)

/**
 * CnnfiltOpClass:
 * @parent_class: the parent class
 * @name: the op's kebab-case name, as used in pipelines ("sobel")
 * @description: one line saying what the op computes
 * @onnx_op_type: the ONNX op_type it implements, or %NULL
 * @n_inputs: how many input tensors it takes
 * @validate: checks the properties on their own, before any shape is
 *   known; optional
 * @infer: computes the output shape for the given input shapes, or fails
 *   with an error naming the property or shape at fault
 * @run: computes @output, already shaped by @infer, on the CPU
 *
 * The class of every operator. Parameters are GObject properties, each with
 * a nick, a blurb, a range and a default: the pipeline parser, `cnnfilt
 * inspect` and the bindings read them from there.
 */
struct _CnnfiltOpClass {
  GObjectClass parent_class;

  const gchar *name;
  const gchar *description;
  const gchar *onnx_op_type;
  guint n_inputs;

  gboolean (*validate) (CnnfiltOp *op, GError **error);
  gboolean (*infer)    (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                        CnnfiltShape *output, GError **error);
  gboolean (*run)      (CnnfiltOp *op, CnnfiltTensor **inputs, guint n_inputs,
                        CnnfiltTensor *output, GError **error);

  /*< private >*/
  gpointer padding[8];
};

const gchar   *cnnfilt_op_get_name         (CnnfiltOp *op);
const gchar   *cnnfilt_op_get_description  (CnnfiltOp *op);
guint          cnnfilt_op_get_n_inputs     (CnnfiltOp *op);

gboolean       cnnfilt_op_set_property_from_string (CnnfiltOp *op, const gchar *property,
                                                    const gchar *value, GError **error);
gchar         *cnnfilt_op_get_property_as_string   (CnnfiltOp *op, const gchar *property);

gboolean       cnnfilt_op_validate (CnnfiltOp *op, GError **error);
gboolean       cnnfilt_op_infer    (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                    CnnfiltShape *output, GError **error);
gboolean       cnnfilt_op_run      (CnnfiltOp *op, CnnfiltTensor **inputs, guint n_inputs,
                                    CnnfiltTensor *output, GError **error);
CnnfiltTensor *cnnfilt_op_process  (CnnfiltOp *op, CnnfiltTensor *input, GError **error);

gchar         *cnnfilt_value_to_string (const GValue *value);

G_END_DECLS
