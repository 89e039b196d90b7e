/* linear-onednn.c: linear's oneDNN path
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * oneDNN's matmul primitive (brgemm kernels with AVX-512 here) on the
 * row-major input and output as they are, the weights reordered once into
 * the layout the kernel asks for, and the bias, a clamp and an activation
 * applied as it writes: one pass over the output where sgemm, a bias loop
 * and an eltwise pass make three (ConvNeXt's Linear, bias and GELU). The
 * primitive is made for one row count and made anew when it changes.
 */
#include "linear.h"

struct OnednnLinear {
  guint m, k, n;
  dnnl_stream_t stream;
  dnnl_primitive_t matmul;
  OnednnPacked *weights;
  dnnl_memory_t src, bias, dst;
};

void
onednn_linear_free (OnednnLinear *plan)
{
  if (plan == NULL)
    return;
  if (plan->matmul)
    dnnl_primitive_destroy (plan->matmul);
  dnnl_memory_t mems[] = { plan->src, plan->bias, plan->dst };
  for (guint i = 0; i < G_N_ELEMENTS (mems); i++)
    if (mems[i])
      dnnl_memory_destroy (mems[i]);
  if (plan->stream)
    dnnl_stream_destroy (plan->stream);
  onednn_packed_unref (plan->weights);
  g_free (plan);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

/* The weights as the kernel wants them: those of @old where it packed them
 * the same way, else reordered from ours. */
static dnnl_status_t
linear_weights_pack (OnednnLinear *plan, OnednnLinear *old, const dnnl_memory_desc_t *packed_md,
                     const LinearParams *p, dnnl_engine_t engine)
{
  dnnl_status_t status;
  if (old != NULL && onednn_take_packed (&old->weights, packed_md, &plan->weights))
    return dnnl_success;
  dnnl_dims_t dims = { p->k, p->n };
  dnnl_memory_desc_t user_md;
  TRY (dnnl_memory_desc_init_by_tag (&user_md, 2, dims, dnnl_f32, p->trans_b ? dnnl_ba : dnnl_ab));
  TRY (onednn_pack_weights (engine, plan->stream, &user_md, packed_md, p->weights, &plan->weights));
fail:
  return status;
}

static OnednnLinear *
onednn_linear_new (const LinearParams *p, OnednnLinear *old)
{
  dnnl_engine_t engine = onednn_engine ();
  if (engine == NULL)
    return NULL;
  dnnl_status_t status;
  OnednnLinear *plan = g_new0 (OnednnLinear, 1);
  plan->m = p->m;
  plan->k = p->k;
  plan->n = p->n;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_dims_t src_dims = { p->m, p->k }, wei_dims = { p->k, p->n }, dst_dims = { p->m, p->n };
  dnnl_dims_t bias_dims = { 1, p->n };
  dnnl_memory_desc_t src_md, wei_any, bias_md, dst_md;
  TRY (dnnl_memory_desc_init_by_tag (&src_md, 2, src_dims, dnnl_f32, dnnl_ab));
  TRY (dnnl_memory_desc_init_by_tag (&wei_any, 2, wei_dims, dnnl_f32, dnnl_format_tag_any));
  TRY (dnnl_memory_desc_init_by_tag (&bias_md, 2, bias_dims, dnnl_f32, dnnl_ab));
  TRY (dnnl_memory_desc_init_by_tag (&dst_md, 2, dst_dims, dnnl_f32, dnnl_ab));
  TRY (onednn_attr_new_epilogue (&attr, FALSE, p->clamp_min, p->clamp_max, p->activation));
  dnnl_matmul_desc_t desc;
  TRY (dnnl_matmul_desc_init (&desc, &src_md, &wei_any, p->bias ? &bias_md : NULL, &dst_md));
  TRY (dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL));
  TRY (dnnl_primitive_create (&plan->matmul, pd));
  TRY (dnnl_stream_create (&plan->stream, engine, dnnl_stream_default_flags));
  TRY (dnnl_memory_create (&plan->src, &src_md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&plan->dst, &dst_md, engine, DNNL_MEMORY_NONE));
  if (p->bias)
    TRY (dnnl_memory_create (&plan->bias, &bias_md, engine,
                             cnnfilt_tensor_get_data (p->bias, NULL)));
  TRY (linear_weights_pack (plan, old, dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0),
                            p, engine));
  dnnl_primitive_desc_destroy (pd);
  dnnl_primitive_attr_destroy (attr);
  return plan;

fail:
  g_debug ("linear: no oneDNN matmul for %u×%u by %u×%u (status %d); using sgemm", p->m, p->k,
           p->k, p->n, (int) status);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  onednn_linear_free (plan);
  return NULL;
}

gboolean
onednn_linear_ensure (OnednnLinear **plan, const LinearParams *p)
{
  OnednnLinear *have = *plan;
  if (have == NULL || have->m != p->m || have->k != p->k || have->n != p->n)
    {
      OnednnLinear *old = g_steal_pointer (plan);
      *plan = onednn_linear_new (p, old);
      onednn_linear_free (old);
    }
  return *plan != NULL;
}

gboolean
onednn_linear_run (OnednnLinear *plan, const gfloat *src, gfloat *dst, GError **error)
{
  dnnl_status_t status;
  TRY (dnnl_memory_set_data_handle (plan->src, (void *) src));
  TRY (dnnl_memory_set_data_handle (plan->dst, dst));
  dnnl_exec_arg_t args[] = {
    { DNNL_ARG_SRC, plan->src }, { DNNL_ARG_WEIGHTS, plan->weights->memory },
    { DNNL_ARG_DST, plan->dst }, { DNNL_ARG_BIAS, plan->bias },
  };
  TRY (onednn_execute (plan->matmul, plan->stream, plan->bias ? 4 : 3, args));
  TRY (dnnl_stream_wait (plan->stream));
  return TRUE;
fail:
  return onednn_error (error, "linear", "run its matmul", status);
}

#undef TRY
