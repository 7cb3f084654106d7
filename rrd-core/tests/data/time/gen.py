"""Random at-style time cases for harness.c: python3 gen.py SEED COUNT > cases.tsv

Mostly near-grammatical specifications (offsets, times of day, dates, month
names) plus token soup, over several zones and "now" values around DST changes.
"""
import random, sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
tzs = ["Europe/Zurich", "UTC", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Kolkata"]
nows = [1795606440, 1700000000, 1711846800, 1711850400, 1729990800, 1729994400, 1000000000, 1234567890, 946684799, 1609459200, 2147483647, 4102444800, 1719792000]
words = ["now","n","start","s","end","e","epoch","noon","midnight","teatime","am","pm","AM","Pm","yesterday","today","tomorrow",
 "jan","Feb","march","apr","may","june","jul","aug","sep","September","oct","nov","dec","sun","mon","Monday","tue","wed","thu","fri","friday","sat",
 "sec","second","seconds","min","minute","minutes","m","h","hr","hour","hours","d","day","days","w","wk","week","weeks","mon","month","months","y","yr","year","years","foo","x"]
nums = ["0","1","2","5","6","7","9","10","12","13","23","24","25","30","31","32","59","60","99","00","07","37","38","69","70","100","138","139","1969","1970","1971","2001","2024","2038","2100","9999","30000",
 "20240101","20240331","20241027","19700101","19700102","24000100","24000101","020240101","315360000","315360001","1000000000","1711846800","99999999999","2147483648","4294967296","1000000","3000000000"]
syms = [":", ".", "+", "-", "/", " ", "_", ",", "#", "  "]
def tok():
    r = random.random()
    if r < 0.35: return random.choice(nums)
    if r < 0.7: return random.choice(words)
    return random.choice(syms)
templates = [
 lambda: "%s%s%s" % (random.choice(["now","end","start","e","s","epoch",""]), random.choice(["-","+"]), "".join(random.choice(nums[:20])+random.choice(["s","m","h","d","w","mon","y","min","sec",""]) + random.choice(["","-","+"," "]) for _ in range(random.randint(1,3)))),
 lambda: "%s:%s %s" % (random.choice(nums[:14]), random.choice(["00","30","59","5"]), random.choice(["","am","pm","yesterday","tomorrow","today","friday","sun","20240331","03/31/2024","31.03.2024","Oct 27 2024","12/25"])),
 lambda: "%s %s%s" % (random.choice(["noon","midnight","teatime","12:00","02:30","03:00","00:00","2am","2:30am","12pm"]), random.choice(["","yesterday","tomorrow","today","mon","sat","20240331","20241027","03/31/2024","10/27/24","27.10.2024","Mar 31 2024","oct 27","jan 1"]), random.choice(["","+1d","-1d","+1h","-1w","+1m","-3mon","+2y","+1d1h"])),
 lambda: "%s %s %s%s" % (random.choice(["Jan","feb","Mar","sep","Oct","december","may"]), random.choice(["1","9","15","29","31","0","32","99"]), random.choice(["","2001","24","1999","70","69","37","38","2038","2100","12:30","10:30 pm"]), random.choice(["",  " +1d", " -1h", " 12:00", " 5pm"])),
 lambda: " ".join(tok() for _ in range(random.randint(1,5))),
 lambda: "".join(tok() for _ in range(random.randint(1,6))),
]
for _ in range(n):
    tz = random.choice(tzs); now = random.choice(nows) + random.choice([0, 0, 17, 3600, -86400, 43210])
    if random.random() < 0.7:
        print("one\t%s\t%d\t%s\t" % (tz, now, random.choice(templates)()))
    else:
        a = random.choice(templates)(); b = random.choice(templates)()
        if random.random() < 0.5: a = random.choice(["end","e","start"]) + random.choice(["-1d","-1w","-1mon","-1y","-36h","+1d","-1m","-5m6h","-1d2h"])
        print("pair\t%s\t%d\t%s\t%s" % (tz, now, a, b))
