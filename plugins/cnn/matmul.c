/* matmul.c: matrix products over the last two dims, as ONNX's MatMul (numpy's matmul)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * a (…, M, K) · b (…, K, N) is (…, M, N): the two dims before `rank` are
 * the matrices, the ones before them a batch, each equal in both inputs
 * or 1 (broadcast). Tensors hold four dims, a model's rank of them first
 * and then 1s: the importer sets rank (4 by default, the matrices in h and
 * w). A b shared by the whole batch is one sgemm of (batch·M) × K by
 * K × N; a constant b (nn.Linear) imports as `linear` instead, which packs
 * it and fuses bias and activation. oneDNN's sgemm does the products.
 */
#include "layer.h"
#include "onednn.h"

/* multiply-adds of one product up to which a batch of products runs one
 * product per thread (ViT's attention: 2.5 million), where the products
 * share out evenly or are many */
#define MATMUL_SMALL_PRODUCT (1u << 24)

typedef struct {
  CnnfiltOp parent_instance;
  gint rank;
} CnnfiltMatmul;

typedef CnnfiltOpClass CnnfiltMatmulClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltMatmul, cnnfilt_matmul, CNNFILT_TYPE_OP)

static const CnnfiltOpProp matmul_props[] = {
  { "rank", "How many of the four dims are the model's: the two before it are the matrices, "
    "the others a batch", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltMatmul, rank), 2, 4, 4,
    NULL, { 0 } },
};

/* The shapes as matmul reads them: batch dims (two, 1s in front where the
 * rank has fewer), M, K, N; FALSE with @error where they do not fit. */
typedef struct {
  guint a_batch[2], b_batch[2], batch[2];
  guint m, k, n;
} MatmulDims;

static gboolean
matmul_dims (CnnfiltOp *op, const CnnfiltShape *a, const CnnfiltShape *b, MatmulDims *dims,
             GError **error)
{
  gint rank = ((CnnfiltMatmul *) op)->rank;
  const guint da[4] = { a->n, a->c, a->h, a->w }, db[4] = { b->n, b->c, b->h, b->w };
  for (gint i = rank; i < 4; i++)
    if (da[i] != 1 || db[i] != 1)
      goto mismatch;
  for (gint j = 0; j < 2; j++)
    {
      gint i = rank - 4 + j; /* batch dim j, or none */
      dims->a_batch[j] = i >= 0 ? da[i] : 1;
      dims->b_batch[j] = i >= 0 ? db[i] : 1;
      if (dims->a_batch[j] != dims->b_batch[j] && dims->a_batch[j] != 1 && dims->b_batch[j] != 1)
        goto mismatch;
      dims->batch[j] = MAX (dims->a_batch[j], dims->b_batch[j]);
    }
  dims->m = da[rank - 2];
  dims->k = da[rank - 1];
  dims->n = db[rank - 1];
  if (db[rank - 2] != dims->k)
    goto mismatch;
  return TRUE;

mismatch:
  {
    g_autofree gchar *sa = cnnfilt_shape_to_string (a);
    g_autofree gchar *sb = cnnfilt_shape_to_string (b);
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                 "matmul: %s and %s do not multiply at rank %d (…×M×K by …×K×N, the batch "
                 "dims equal or 1)", sa, sb, rank);
    return FALSE;
  }
}

static gboolean
cnnfilt_matmul_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  MatmulDims d;
  if (!matmul_dims (op, &inputs[0], &inputs[1], &d, error))
    return FALSE;
  gint rank = ((CnnfiltMatmul *) op)->rank;
  guint out[6] = { d.batch[0], d.batch[1], d.m, d.n, 1, 1 };
  /* the dims from rank − 4 of that list: batch dims the rank has, then M, N, 1s */
  const guint *o = out + (4 - rank);
  *output = (CnnfiltShape) { o[0], o[1], o[2], o[3] };
  return TRUE;
}

static guint64
cnnfilt_matmul_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      const CnnfiltShape *output)
{
  MatmulDims d;
  if (!matmul_dims (op, &inputs[0], &inputs[1], &d, NULL))
    return 0;
  return 2 * cnnfilt_shape_get_size (output) * (guint64) d.k;
}

static gboolean
cnnfilt_matmul_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                    guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltShape sa, sb;
  cnnfilt_tensor_get_shape (inputs[0], &sa);
  cnnfilt_tensor_get_shape (inputs[1], &sb);
  MatmulDims d;
  if (!matmul_dims (op, &sa, &sb, &d, error))
    return FALSE;
  onednn_set_threads (ctx);
  const gfloat *a = cnnfilt_tensor_get_data (inputs[0], NULL);
  const gfloat *b = cnnfilt_tensor_get_data (inputs[1], NULL);
  gfloat *c = cnnfilt_tensor_get_data (output, NULL);
  gsize a_size = (gsize) d.m * d.k, b_size = (gsize) d.k * d.n, c_size = (gsize) d.m * d.n;
  if (d.b_batch[0] == 1 && d.b_batch[1] == 1 && d.a_batch[0] == d.batch[0] &&
      d.a_batch[1] == d.batch[1])
    {
      /* one b for every a: the batch's rows as one tall matrix */
      onednn_sgemm (FALSE, FALSE, (gsize) d.batch[0] * d.batch[1] * d.m, d.n, d.k, 1.0f, a, d.k,
                    b, d.n, 0.0f, c, d.n);
      return TRUE;
    }
  /* Many small products (a transformer's attention: 12 heads of 197 × 64
   * by 64 × 197 an image) run one per thread, each sgemm on one thread:
   * splitting each small product over the threads costs more in joins
   * than it gains. Large ones share the threads inside sgemm. */
  const gsize products = (gsize) d.batch[0] * d.batch[1];
  const gboolean per_thread = ctx->n_threads > 1 && (guint64) d.m * d.n * d.k <= MATMUL_SMALL_PRODUCT &&
                              (products % ctx->n_threads == 0 || products >= 4 * ctx->n_threads);
#pragma omp parallel for num_threads (ctx->n_threads) if (per_thread) schedule (static)
  for (gsize p = 0; p < products; p++)
    {
      const gsize i = p / d.batch[1], j = p % d.batch[1];
      gsize ia = (gsize) (d.a_batch[0] > 1 ? i : 0) * d.a_batch[1] + (d.a_batch[1] > 1 ? j : 0);
      gsize ib = (gsize) (d.b_batch[0] > 1 ? i : 0) * d.b_batch[1] + (d.b_batch[1] > 1 ? j : 0);
      onednn_sgemm (FALSE, FALSE, d.m, d.n, d.k, 1.0f, a + ia * a_size, d.k, b + ib * b_size,
                    d.n, 0.0f, c + p * c_size, d.n);
    }
  return TRUE;
}

static gboolean
cnnfilt_matmul_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                       guint n_inputs, CnnfiltTensor *output, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/matmul.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape sa, sb;
  cnnfilt_tensor_get_shape (inputs[0], &sa);
  cnnfilt_tensor_get_shape (inputs[1], &sb);
  MatmulDims d;
  if (!matmul_dims (op, &sa, &sb, &d, error))
    return FALSE;
  gsize total = (gsize) d.batch[0] * d.batch[1] * d.m * d.n;
  if (total > G_MAXINT || cnnfilt_shape_get_size (&sa) > G_MAXINT ||
      cnnfilt_shape_get_size (&sb) > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "matmul: more values than one OpenCL launch takes");
      return FALSE;
    }
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_IN (inputs[1]), CNNFILT_KERNEL_OUT (output),
    CNNFILT_KERNEL_INT (d.m), CNNFILT_KERNEL_INT (d.k), CNNFILT_KERNEL_INT (d.n),
    CNNFILT_KERNEL_INT (d.batch[1]), CNNFILT_KERNEL_INT (d.a_batch[0] > 1),
    CNNFILT_KERNEL_INT (d.a_batch[1] > 1), CNNFILT_KERNEL_INT (d.a_batch[1]),
    CNNFILT_KERNEL_INT (d.b_batch[0] > 1), CNNFILT_KERNEL_INT (d.b_batch[1] > 1),
    CNNFILT_KERNEL_INT (d.b_batch[1]), CNNFILT_KERNEL_INT (total),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "matmul", 1, { total } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_matmul_class_init (CnnfiltMatmulClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "matmul";
  op_class->description = "Matrix products over the last two of rank dims, batched over the "
                          "ones before, broadcasting (numpy's matmul)";
  op_class->onnx_op_type = "MatMul";
  op_class->onnx_attributes = "=RANK:rank";
  op_class->n_inputs = 2;
  op_class->infer = cnnfilt_matmul_infer;
  op_class->flops = cnnfilt_matmul_flops;
  op_class->run = cnnfilt_matmul_run;
  op_class->run_cl = cnnfilt_matmul_run_cl;
  cnnfilt_op_class_install_properties (op_class, matmul_props, G_N_ELEMENTS (matmul_props));
}

LAYER_NO_INIT (CnnfiltMatmul, cnnfilt_matmul)
