/* cnnfilt-cl-program.c: OpenCL programs built once, cached on disk
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A program is keyed by the SHA-256 of everything that shapes its binary:
 * platform, device, device and driver versions, build options and source.
 * Built programs are kept per device in memory, and their binaries under
 * $XDG_CACHE_HOME/cnnfilt/opencl/KEY.bin, a header naming the key and the
 * SHA-256 of the binary before it. An entry that is short, foreign (another
 * key), corrupt (a checksum that does not match) or refused by the driver
 * is rebuilt from source and written again, atomically: a cache entry is
 * never trusted more than the source.
 */
#include "cnnfilt-cl-private.h"
#include "cnnfilt-error.h"

#include <string.h>

#ifdef CNNFILT_HAVE_OPENCL

#define CACHE_MAGIC "cnnfilt-opencl-program 1\n"
/* what a build log may add to an error message */
#define MAX_LOG 8000

static gchar *
program_key (CnnfiltClDevice *device, const gchar *source, const gchar *options)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const gchar *parts[] = { device->platform_name, device->name, device->version, device->driver,
                           options ? options : "", source };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    g_checksum_update (sum, (const guchar *) parts[i], strlen (parts[i]) + 1);
  return g_strdup (g_checksum_get_string (sum));
}

static gchar *
cache_path (const gchar *key)
{
  g_autofree gchar *name = g_strconcat (key, ".bin", NULL);
  return g_build_filename (g_get_user_cache_dir (), "cnnfilt", "opencl", name, NULL);
}

static gchar *
sha256_hex (const guchar *data, gsize length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, length);
}

/* The binary of a cache entry that is whole and ours, else NULL. */
static guchar *
cache_read (const gchar *key, gsize *length)
{
  g_autofree gchar *path = cache_path (key);
  g_autofree gchar *contents = NULL;
  gsize size = 0;
  if (!g_file_get_contents (path, &contents, &size, NULL))
    return NULL;
  gsize header = strlen (CACHE_MAGIC) + 64 + 1 + 64 + 1;
  if (size <= header || memcmp (contents, CACHE_MAGIC, strlen (CACHE_MAGIC)) != 0)
    return NULL;
  const gchar *stored_key = contents + strlen (CACHE_MAGIC);
  const gchar *stored_sum = stored_key + 65;
  if (memcmp (stored_key, key, 64) != 0 || stored_key[64] != '\n' || stored_sum[64] != '\n')
    return NULL;
  g_autofree gchar *sum = sha256_hex ((const guchar *) contents + header, size - header);
  if (memcmp (sum, stored_sum, 64) != 0)
    return NULL;
  *length = size - header;
  return g_memdup2 (contents + header, *length);
}

/* Best effort: a cache that cannot be written only costs a rebuild. */
static void
cache_write (const gchar *key, const guchar *binary, gsize length)
{
  g_autofree gchar *path = cache_path (key);
  g_autofree gchar *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return;
  g_autofree gchar *sum = sha256_hex (binary, length);
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_byte_array_append (data, (const guint8 *) CACHE_MAGIC, strlen (CACHE_MAGIC));
  g_byte_array_append (data, (const guint8 *) key, 64);
  g_byte_array_append (data, (const guint8 *) "\n", 1);
  g_byte_array_append (data, (const guint8 *) sum, 64);
  g_byte_array_append (data, (const guint8 *) "\n", 1);
  g_byte_array_append (data, binary, length);
  g_file_set_contents_full (path, (const gchar *) data->data, data->len,
                            G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL);
}

static gchar *
build_log (CnnfiltClDevice *device, cl_program program)
{
  gsize size = 0;
  clGetProgramBuildInfo (program, device->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &size);
  g_autofree gchar *log = g_malloc0 (size + 1);
  if (size > 0)
    clGetProgramBuildInfo (program, device->id, CL_PROGRAM_BUILD_LOG, size, log, NULL);
  g_strstrip (log);
  if (strlen (log) > MAX_LOG)
    strcpy (log + MAX_LOG - 4, "\n...");
  return g_steal_pointer (&log);
}

static cl_program
program_from_binary (CnnfiltClDevice *device, const guchar *binary, gsize length,
                     const gchar *options)
{
  cl_int status = CL_SUCCESS, binary_status = CL_SUCCESS;
  cl_program program = clCreateProgramWithBinary (device->context, 1, &device->id, &length,
                                                  &binary, &binary_status, &status);
  if (status != CL_SUCCESS || binary_status != CL_SUCCESS)
    {
      if (program != NULL)
        clReleaseProgram (program);
      return NULL;
    }
  if (clBuildProgram (program, 1, &device->id, options, NULL, NULL) != CL_SUCCESS)
    {
      clReleaseProgram (program);
      return NULL;
    }
  return program;
}

static cl_program
program_from_source (CnnfiltClDevice *device, const gchar *source, const gchar *options,
                     const gchar *key, GError **error)
{
  cl_int status = CL_SUCCESS;
  cl_program program = clCreateProgramWithSource (device->context, 1, &source, NULL, &status);
  if (status != CL_SUCCESS)
    {
      _cnnfilt_cl_set_error (error, device, "creating a program", status);
      return NULL;
    }
  status = clBuildProgram (program, 1, &device->id, options, NULL, NULL);
  if (status != CL_SUCCESS)
    {
      g_autofree gchar *log = build_log (device, program);
      _cnnfilt_cl_set_error (error, device, "compiling an OpenCL program", status);
      if (*log != '\0' && error != NULL && *error != NULL)
        {
          gchar *message = g_strdup_printf ("%s; build log:\n%s", (*error)->message, log);
          g_free ((*error)->message);
          (*error)->message = message;
        }
      clReleaseProgram (program);
      return NULL;
    }
  gsize length = 0;
  if (clGetProgramInfo (program, CL_PROGRAM_BINARY_SIZES, sizeof length, &length, NULL) ==
          CL_SUCCESS && length > 0)
    {
      g_autofree guchar *binary = g_malloc (length);
      guchar *binaries[] = { binary };
      if (clGetProgramInfo (program, CL_PROGRAM_BINARIES, sizeof binaries, binaries, NULL) ==
          CL_SUCCESS)
        cache_write (key, binary, length);
    }
  return program;
}

static cl_program
program_get (CnnfiltClDevice *device, const gchar *source, const gchar *options,
             const gchar *key, GError **error)
{
  cl_program program = g_hash_table_lookup (device->programs, key);
  if (program != NULL)
    return program;
  gsize length = 0;
  g_autofree guchar *binary = cache_read (key, &length);
  if (binary != NULL)
    program = program_from_binary (device, binary, length, options);
  if (program == NULL)
    program = program_from_source (device, source, options, key, error);
  if (program != NULL)
    g_hash_table_insert (device->programs, g_strdup (key), program);
  return program;
}

gpointer
_cnnfilt_cl_kernel (CnnfiltClDevice *device, const gchar *source, const gchar *options,
                    const gchar *name, GError **error)
{
  g_autofree gchar *key = program_key (device, source, options);
  g_autofree gchar *kernel_key = g_strconcat (key, "/", name, NULL);
  cl_kernel kernel = g_hash_table_lookup (device->kernels, kernel_key);
  if (kernel != NULL)
    return kernel;
  cl_program program = program_get (device, source, options, key, error);
  if (program == NULL)
    return NULL;
  cl_int status = CL_SUCCESS;
  kernel = clCreateKernel (program, name, &status);
  if (status != CL_SUCCESS)
    {
      g_autofree gchar *what = g_strdup_printf ("creating kernel %s", name);
      _cnnfilt_cl_set_error (error, device, what, status);
      return NULL;
    }
  g_hash_table_insert (device->kernels, g_steal_pointer (&kernel_key), kernel);
  return kernel;
}

#else

gpointer
_cnnfilt_cl_kernel (CnnfiltClDevice *device, const gchar *source, const gchar *options,
                    const gchar *name, GError **error)
{
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED, "built without OpenCL");
  return NULL;
}

#endif
