# Sourced by session 26's and 27's launch.sh: TCN_RECIPE, the arguments of session 25's K (`tcn` arm of
# docs/experiments/session25/launch.sh) without the seed, learning rate, start weights, output folder or run name.
TCN_RECIPE=(--model tcn --config configs/shipped.yaml --train lists/train_tc_balanced.list --valid lists/valid_tc.list
        --set model.score_range=[1.0,4.64] --set 'model.heads={stoi: [0.0, 1.0], sisdr: [-20.0, 40.0]}'
        --set model.normalized_output=true --set 'model.features={kind: logpow, normalize: utterance, mel_bands: 64}'
        --set model.conditions=auto --set model.dropout=0.0 --set keep_weights=last
        --set model.channels=96 --set model.kernel_size=3 --set 'model.dilations=[1, 2, 4, 8, 16, 1, 2, 4, 8, 16]'
        --set model.linear_size=128 --set 'model.quantiles=[0.05, 0.25, 0.5, 0.75, 0.95]'
        --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 75)
