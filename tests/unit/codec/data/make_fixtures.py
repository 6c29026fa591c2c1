"""Regenerate the fixtures of this directory.

Needs jpegtran (Debian libjpeg-turbo-progs), ojph_compress (openjph-tools) and dcmcjpeg (dcmtk):
the point of the fixtures is codestreams made by other implementations, for the syntaxes of
which pydicom bundles no sample (JPEG processes 6-12 and 14 with other predictors, HTJ2K).
"""
import os, subprocess, sys, tempfile, warnings
import numpy as np, pydicom
from pydicom.encaps import encapsulate, generate_frames
warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
TF = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
SPECTRAL = "0,1,2: 0-0, 0, 0;\n0: 1-9, 0, 0;\n0: 10-63, 0, 0;\n1: 1-63, 0, 0;\n2: 1-63, 0, 0;\n"

def run(args, data):
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout

def rewrap(src, out, ts, frames, **attrs):
    ds = pydicom.dcmread(os.path.join(TF, src))
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = ts
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.save_as(os.path.join(HERE, out), enforce_file_format=True)

def jpeg_frame(src):
    ds = pydicom.dcmread(os.path.join(TF, src))
    return next(generate_frames(ds.PixelData, number_of_frames=1))

with tempfile.TemporaryDirectory() as tmp:
    scans = os.path.join(tmp, "scans.txt")
    open(scans, "w").write(SPECTRAL)
    # Process 10 (SOF2 with successive approximation) and process 6 (spectral selection only):
    # the DCT coefficients of the bundled baseline files, reorganised losslessly by jpegtran.
    rewrap("SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_dcmtk_progressive.dcm", "1.2.840.10008.1.2.4.55",
           [run(["jpegtran", "-copy", "none", "-progressive"], jpeg_frame("SC_rgb_jpeg_dcmtk.dcm"))])
    rewrap("SC_rgb_dcmtk_+eb+cy+s2.dcm", "SC_rgb_dcmtk_+eb+cy+s2_spectral.dcm", "1.2.840.10008.1.2.4.53",
           [run(["jpegtran", "-copy", "none", "-scans", scans], jpeg_frame("SC_rgb_dcmtk_+eb+cy+s2.dcm"))])
    # HTJ2K codestreams of MR_small (16-bit signed) and SC_rgb_rle (8-bit RGB) made by OpenJPH.
    mr = pydicom.dcmread(os.path.join(TF, "MR_small.dcm")).pixel_array
    raw = os.path.join(tmp, "mr.yuv")
    mr.astype("<i2").tofile(raw)
    mono = ["-dims", "{64,64}", "-num_comps", "1", "-signed", "true", "-bit_depth", "16", "-downsamp", "{1,1}"]
    for name, ts, extra in [("MR_small_htj2k_lossless.dcm", "1.2.840.10008.1.2.4.201", ["-reversible", "true", "-prog_order", "LRCP"]),
                            ("MR_small_htj2k_rpcl.dcm", "1.2.840.10008.1.2.4.202", ["-reversible", "true", "-prog_order", "RPCL"]),
                            ("MR_small_htj2k_lossy.dcm", "1.2.840.10008.1.2.4.203", ["-reversible", "false", "-qstep", "0.0005"])]:
        out = os.path.join(tmp, "out.j2c")
        subprocess.run(["ojph_compress", "-i", raw, "-o", out, *extra, *mono], check=True, stdout=subprocess.DEVNULL)
        rewrap("MR_small.dcm", name, ts, [open(out, "rb").read()])
    rgb = pydicom.dcmread(os.path.join(TF, "SC_rgb_rle.dcm")).pixel_array
    ppm = os.path.join(tmp, "rgb.ppm")
    open(ppm, "wb").write(b"P6\n100 100\n255\n" + rgb.tobytes())
    for name, ts, pi, extra in [("SC_rgb_htj2k_lossless.dcm", "1.2.840.10008.1.2.4.201", "YBR_RCT", ["-reversible", "true"]),
                                ("SC_rgb_htj2k_lossy.dcm", "1.2.840.10008.1.2.4.203", "YBR_ICT", ["-qstep", "0.01"])]:
        out = os.path.join(tmp, "out.j2c")
        subprocess.run(["ojph_compress", "-i", ppm, "-o", out, *extra], check=True, stdout=subprocess.DEVNULL)
        rewrap("SC_rgb_rle.dcm", name, ts, [open(out, "rb").read()], PhotometricInterpretation=pi)

    # DCMTK: 12-bit spectral selection / full progression (processes 8 and 12) of the 12-bit
    # rescaled CT_small, and lossless process 14 with predictors 7 and 4.
    ct = pydicom.dcmread(os.path.join(TF, "CT_small.dcm"))
    arr = ct.pixel_array.astype(np.float64)
    arr = ((arr - arr.min()) * 4095 / (arr.max() - arr.min())).astype(np.uint16)
    ct.BitsStored, ct.HighBit, ct.PixelRepresentation = 12, 11, 0
    ct.PixelData = arr.tobytes()
    m12 = os.path.join(tmp, "ct12.dcm")
    ct.save_as(m12, enforce_file_format=True)
    for src, opts, name in [(m12, ["+es"], "CT_small_12bit_dcmtk_spectral.dcm"),
                            (m12, ["+ep"], "CT_small_12bit_dcmtk_progressive.dcm"),
                            (os.path.join(TF, "MR_small.dcm"), ["+el", "+sv", "7"], "MR_small_dcmtk_jpll_sv7.dcm"),
                            (os.path.join(TF, "SC_rgb_small_odd.dcm"), ["+el", "+sv", "4"],
                             "SC_rgb_small_odd_dcmtk_jpll_sv4.dcm")]:
        subprocess.run(["dcmcjpeg", *opts, src, os.path.join(HERE, name)], check=True)
