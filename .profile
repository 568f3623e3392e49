# Heroku sources this at dyno start: the Rust buildpack leaves the binary in target/release,
# and putting it on PATH lets the Procfile and `heroku run procure …` name it plainly.
export PATH="$HOME/target/release:$PATH"
