# P29: exhaust the pid limit. Each copy starts two more in the background and waits; the script
# itself returns at once, leaving the bomb behind. Bounded in time: every copy ends within 60 s.
bomb() { sleep 60 & bomb & bomb & wait; }
bomb &
exit 0
