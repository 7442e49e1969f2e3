# The shipped models' training recipes, in one place (sourced, not run): retrain.sh trains the
# shipped models with them on train + val, and cross-drive.sh trains their twins with drive
# 0006R0 held out (M-long-fcn8s, B-bf16-fcn8s, K-edge-distill), so a twin's scores are always
# those of the recipe that ships.
# shellcheck disable=SC2034
FCN8S_RECIPE="--width 0.25 --epochs 150 12 36 --lr 2e-3 1e-3 3e-4 --bf16"  # twin: M-long-fcn8s
# The edge model's teacher: the same net on B's shorter schedule (50 FCN-32s epochs). Distilling
# from the long FCN-8s instead (R-edge-distill-long) scored 1.2 lower on the held-out drive.
TEACHER_RECIPE="--width 0.25 --epochs 50 12 36 --lr 2e-3 1e-3 3e-4 --bf16"  # twin: B-bf16-fcn8s
EDGE_RECIPE="--stage 32 --backbone vgg16-strided-stem --width 0.125 --epochs 80 1 1 --lr 3e-3 1e-3 1e-3 \
--scale 0.4 1.0 --crop 224 --eval-size 240 320 --bf16"
DISTILL="--distill-weight 1.0 --distill-temperature 2.0"  # with --teacher: the edge model's
# How the edge FCN-32s is quantised, shipped or scored: its first three convs float and its graph
# stopping at the coarse scores (both faster in onnxruntime-web), at the Worker's 320x240.
EDGE_QUANTIZE="--resolution 320 240 --float-convs 3 --runtime-upsample"
# The leaders' heavy recipe (issue #31 item 2) on the ResNet-18 layout at 1/2 width: random scale
# 0.5-2.0, 288-pixel crops, strong photometric jitter, poly schedule, 300 FCN-32s epochs. Nets
# trained so read scenes best enlarged: its FCN-8s is scored at --input-scale 1.5 (and 1).
HEAVY_RECIPE="--backbone resnet18 --width 0.5 --fc-channels 1024 --dropout 0.1 --epochs 300 12 36 \
--lr 2e-3 1e-3 3e-4 --scale 0.5 2.0 --crop 288 --eval-every 10 --schedule poly --photometric strong --bf16"
# twin: AA-resnet18-heavy300-from152 (long-runs.sh)
# The same recipe for the edge model (item 5): ResNet-18 at 1/4 width as FCN-32s at the edge's
# 320x240 (scale 0.33-1.33 of the frames, 224-pixel crops), 300 epochs. Distilled ($DISTILL with
# a --teacher) it is AC, 0.58 over K on the held-out drive, inside one drive's spread.
EDGE_HEAVY_RECIPE="--stage 32 --backbone resnet18 --width 0.25 --epochs 300 1 1 --lr 3e-3 1e-3 1e-3 \
--scale 0.33 1.33 --crop 224 --eval-size 240 320 --eval-every 5 --schedule poly --photometric strong --bf16"
# twins: AB-edge-resnet18-w025-heavy300, AC-edge-resnet18-w025-distill (long-runs.sh)
