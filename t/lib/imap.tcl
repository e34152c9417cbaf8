# imap.tcl - Expect helpers for the IMAP conformance scripts (t/conf/imapd).
#
# Usage (a script in t/conf/imapd/x.exp):
#   source [file join [file dirname [info script]] .. .. lib imap.tcl]
#   petrel::suite imapd-basic
#   petrel::run {
#       set in [imap::start {plaintext 1}]
#       set s [imap::login $in]
#       set r [imap::cmd $s "SELECT INBOX"]
#       imap::check_ok $r "rfc9051-6.3.2-select-ok"
#   }
#
# The server under test comes from $IMAP_TARGET: "petrel" (default) starts a
# Petrel instance through petrel.tcl with petrel-imapd; "dovecot" starts a
# private Dovecot (its own configuration, base_dir and log under a temporary
# directory, a passwd-file user with a {PLAIN} password, maildirs, free
# loopback ports), stopped by its master pid when the script ends:
#   IMAP_TARGET=dovecot expect -f t/conf/imapd/session.exp
# Cases Dovecot 2.3 cannot pass (a missing feature, or a place where it
# differs from the RFC) are wrapped in unless_dovecot and print SKIP there.
# The petrel target needs petrel-imapd with these parameters: imapd_listen,
# imapd_imaps_listen, imapd_plaintext_auth_networks, imapd_idle_keepalive,
# imapd_tls_cert_file / imapd_tls_key_file (a self-signed pair made here).
#
# Public procedures (namespace imap):
#   start ?OPTS?         start the server; OPTS is a dict:
#                          plaintext 1|0  LOGIN allowed without TLS (def. 1)
#                          keepalive N    IDLE keepalive interval, seconds
#                          petrel DICT    extra petrel.conf overrides
#                          dovecot TEXT   extra dovecot.conf lines
#                        returns an instance dict: target dir host port
#                        imaps_port user pass maildir
#   target               "petrel" or "dovecot"
#   dovecot              1 when the target is Dovecot
#   skip CASE WHY        print "SKIP: suite: CASE (WHY)" (not counted)
#   unless_dovecot CASE WHY BODY  run BODY, or skip CASE on Dovecot
#   connect IN ?MODE? ?MYADDR?  connect (MODE plain|starttls|imaps); returns a
#                        spawn id; the greeting is in [imap::greeting SID]
#   login IN ?MODE?      connect + LOGIN; spawn id, or "" on failure
#   cmd SID LINE         send "TAG LINE", collect every response up to the
#                        tagged one; returns a list of responses (literals
#                        read by exact byte count and kept inline), the last
#                        being the tagged line or TIMEOUT / EOF ...
#   cmd_cont SID LINE    same, but also stops at a "+" continuation
#   send_line SID TEXT   send TEXT CRLF (no tag added)
#   collect SID TAG      responses up to the line tagged TAG
#   response SID         one response (with its literals) or TIMEOUT/EOF
#   wait_untagged SID RE ?SECS?  read responses until one matches RE;
#                        returns the list read (last one matched) or with
#                        TIMEOUT last
#   append_msg SID MBOX MSG ?FLAGS? ?DATE? ?MODE?  APPEND with a synchronizing
#                        (MODE sync) or LITERAL+ (MODE plus) literal
#   deliver IN MSG ?FOLDER?  write MSG (LF line ends) into the maildir new/
#   status R             OK / NO / BAD / TIMEOUT / EOF of a cmd result
#   tagged R, text R, find R RE, findall R RE
#   check_ok R CASE, check_st R ST CASE, check_has R RE CASE,
#   check_not R RE CASE
#   crlf MSG             MSG with CRLF line ends; crlf_size MSG its length
#   disconnect SID       close a connection
# Security notes: runs as root; signals only the Dovecot master whose pid
# file lies in the temporary directory this library created.

source [file join [file dirname [info script]] petrel.tcl]

namespace eval imap {
    variable buf
    variable tagn
    variable greet
    variable dovecots {}
    variable cur {}
    array set buf {}
    array set tagn {}
    array set greet {}
}

# The server under test: petrel (default) or dovecot.
proc imap::target {} {
    if {[info exists ::env(IMAP_TARGET)] && $::env(IMAP_TARGET) ne ""} {
        return $::env(IMAP_TARGET)
    }
    return petrel
}

# 1 when the server under test is Dovecot.
proc imap::dovecot {} {
    return [expr {[imap::target] eq "dovecot"}]
}

# Report a case that does not apply to this target (not a pass or fail).
proc imap::skip {case why} {
    puts "SKIP: $petrel::suite: $case ($why)"
    flush stdout
}

# Run BODY unless the target is Dovecot; there, report CASE as skipped with
# WHY (Dovecot 2.3 lacks the feature or differs from the RFC there).
proc imap::unless_dovecot {case why body} {
    if {[imap::dovecot]} { imap::skip $case "dovecot: $why"; return }
    uplevel 1 $body
}

# A TCP port that was free on 127.0.0.1 a moment ago.
proc imap::free_port {} {
    set s [socket -server {apply {{c a p} {close $c}}} -myaddr 127.0.0.1 0]
    set p [lindex [fconfigure $s -sockname] 2]
    close $s
    return $p
}

# Wait (bounded, 20 s) until PORT accepts a connection; 1 when it did.
proc imap::wait_port {port} {
    set end [expr {[clock milliseconds] + 20000}]
    while {[clock milliseconds] < $end} {
        if {![catch {socket 127.0.0.1 $port} c]} { close $c; return 1 }
        after 100
    }
    return 0
}

# Make a self-signed certificate and key in DIR (cert.pem, key.pem).
proc imap::make_cert {dir} {
    exec openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -keyout [file join $dir key.pem] -out [file join $dir cert.pem] 2>@1
    file attributes [file join $dir key.pem] -permissions 0600
}

# Start the server under test; returns the instance dict (see header).
proc imap::start {{opts {}}} {
    set o [dict merge {plaintext 1 keepalive "" petrel {} dovecot ""} $opts]
    if {[imap::dovecot]} {
        set in [imap::dovecot_start $o]
    } else {
        set in [imap::petrel_start $o]
    }
    variable cur
    set cur $in
    return $in
}

# Start a Petrel instance with petrel-imapd (plaintext, keepalive options).
proc imap::petrel_start {o} {
    if {![info exists ::env(PETREL_DAEMONS)]} {
        set ::env(PETREL_DAEMONS) "auth inject qmgr local smtpd pop3d imapd"
    }
    set port [imap::free_port]
    set port2 [imap::free_port]
    while {$port2 == $port} { set port2 [imap::free_port] }
    set ov [dict create imapd_listen 127.0.0.1:$port \
                imapd_imaps_listen 127.0.0.1:$port2]
    if {[dict get $o plaintext]} {
        dict set ov imapd_plaintext_auth_networks 127.0.0.0/8
    } else {
        dict set ov imapd_plaintext_auth_networks ""
    }
    if {[dict get $o keepalive] ne ""} {
        dict set ov imapd_idle_keepalive "[dict get $o keepalive]s"
    }
    set ov [dict merge $ov [dict get $o petrel]]
    set d [petrel::inst_create $ov]
    imap::make_cert [file join $d conf]
    set f [open [petrel::inst_conf $d] a]
    puts $f "imapd_tls_cert_file = [file join $d conf cert.pem]"
    puts $f "imapd_tls_key_file = [file join $d conf key.pem]"
    close $f
    petrel::inst_adduser $d alice@example.test secret
    petrel::inst_adduser $d bob@example.test secret2
    set md [string trim [petrel::helper setup-maildir $d alice@example.test]]
    petrel::helper setup-maildir $d bob@example.test
    petrel::inst_start $d
    if {![imap::wait_port $port]} { error "petrel-imapd did not listen on $port" }
    return [dict create target petrel dir $d host 127.0.0.1 port $port \
                imaps_port $port2 user alice@example.test pass secret \
                maildir $md owner petrel-vmail]
}

# uid:gid of the mailbox owner for Dovecot (petrel-vmail, else nobody).
proc imap::mail_owner {} {
    foreach u {petrel-vmail nobody} {
        if {![catch {exec id -u $u} uid]} {
            return [list $u $uid [exec id -g $u]]
        }
    }
    error "no mailbox owner user"
}

# Start a private Dovecot; returns the instance dict.
proc imap::dovecot_start {o} {
    variable dovecots
    set d [exec mktemp -d /tmp/imap-dovecot.XXXXXX]
    file attributes $d -permissions 0755
    lappend dovecots $d
    set port [imap::free_port]
    set port2 [imap::free_port]
    while {$port2 == $port} { set port2 [imap::free_port] }
    lassign [imap::mail_owner] owner uid gid
    foreach sub {run state} { file mkdir [file join $d $sub] }
    imap::make_cert $d
    set pw ""
    foreach {u p} {alice secret bob secret2} {
        set home [file join $d mail example.test $u]
        foreach sub {cur new tmp} { file mkdir [file join $home $sub] }
        append pw "$u@example.test:{PLAIN}$p:${uid}:${gid}::${home}::\n"
    }
    exec chown -R $uid:$gid [file join $d mail]
    petrel::write_file [file join $d passwd] $pw
    petrel::write_file [file join $d dovecot.conf] [imap::dovecot_conf $d $o $port $port2]
    exec dovecot -c [file join $d dovecot.conf] >& [file join $d start.log] < /dev/null
    if {![imap::wait_port $port]} { error "dovecot did not listen on $port" }
    return [dict create target dovecot dir $d host 127.0.0.1 port $port \
                imaps_port $port2 user alice@example.test pass secret \
                maildir [file join $d mail example.test alice] owner $owner]
}

# The dovecot.conf text for a private instance in D.
proc imap::dovecot_conf {d o port port2} {
    set plain [expr {[dict get $o plaintext] ? "no" : "yes"}]
    set ka [dict get $o keepalive]
    set c "base_dir = $d/run\nstate_dir = $d/state\nlog_path = $d/dovecot.log\n"
    append c "protocols = imap\nlisten = 127.0.0.1\nssl = yes\n"
    append c "ssl_cert = <$d/cert.pem\nssl_key = <$d/key.pem\n"
    append c "disable_plaintext_auth = $plain\nauth_mechanisms = plain login\n"
    append c "first_valid_uid = 1\nmail_location = maildir:~\n"
    append c "mail_max_userip_connections = 20\n"
    append c "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN $d/passwd\n}\n"
    append c "userdb {\n  driver = passwd-file\n  args = $d/passwd\n}\n"
    append c "service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n"
    append c "    port = $port\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n"
    append c "    port = $port2\n    ssl = yes\n  }\n}\n"
    append c "service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
    append c "namespace inbox {\n  inbox = yes\n  separator = /\n"
    foreach {box use} {Drafts Drafts Sent Sent Trash Trash Junk Junk} {
        append c "  mailbox $box {\n    special_use = \\$use\n  }\n"
    }
    append c "}\n"
    if {$ka ne ""} { append c "imap_idle_notify_interval = $ka secs\n" }
    append c [dict get $o dovecot]
    return $c
}

# Stop every Dovecot this script started (by its master pid) and remove it.
proc imap::dovecot_stop_all {} {
    variable dovecots
    foreach d $dovecots {
        set pf [file join $d run master.pid]
        if {![catch {open $pf} f]} {
            set pid [string trim [read $f]]
            close $f
            if {[string is integer -strict $pid]} {
                catch {exec kill $pid}
                for {set i 0} {$i < 50 && ![catch {exec kill -0 $pid}]} {incr i} { after 100 }
            }
        }
        if {![info exists ::env(PETREL_KEEP)]} { file delete -force $d }
    }
    set dovecots {}
}

# Wrap petrel::cleanup_all so that Dovecot instances are stopped too.
rename petrel::cleanup_all petrel::cleanup_all_instances
proc petrel::cleanup_all {} {
    imap::dovecot_stop_all
    petrel::cleanup_all_instances
}

# Connect to IN; MODE plain (default), starttls or imaps.  MYADDR binds the
# local end (plain only).  Returns the spawn id after reading the greeting
# (plain, imaps) or after the STARTTLS handshake (starttls).
proc imap::connect {in {mode plain} {myaddr ""}} {
    variable buf
    variable tagn
    variable greet
    if {$mode eq "plain"} {
        if {$myaddr ne ""} {
            set chan [socket -myaddr $myaddr [dict get $in host] [dict get $in port]]
        } else {
            set chan [socket [dict get $in host] [dict get $in port]]
        }
        fconfigure $chan -translation binary -buffering none -blocking 0
        spawn -open $chan
    } else {
        set ::stty_init "raw -echo"
        if {$mode eq "starttls"} {
            set a "-starttls imap -connect 127.0.0.1:[dict get $in port]"
        } else {
            set a "-connect 127.0.0.1:[dict get $in imaps_port]"
        }
        spawn sh -c "exec openssl s_client -quiet -verify_quiet $a 2>/dev/null"
    }
    set sid $spawn_id
    set buf($sid) ""
    set tagn($sid) 0
    if {$mode eq "starttls"} {
        set greet($sid) ""
        set r [imap::cmd $sid NOOP]
        if {[imap::status $r] ne "OK"} { error "STARTTLS session: [imap::text $r]" }
    } else {
        set greet($sid) [imap::response $sid]
    }
    return $sid
}

# The greeting line a connection got.
proc imap::greeting {sid} {
    variable greet
    return $greet($sid)
}

# Open a connection and log in as the instance's user (or USER PASS).
proc imap::login {in {mode plain} {user ""} {pass ""}} {
    if {$user eq ""} { set user [dict get $in user]; set pass [dict get $in pass] }
    set s [imap::connect $in $mode]
    set r [imap::cmd $s "LOGIN [imap::quote $user] [imap::quote $pass]"]
    if {[imap::status $r] eq "OK"} { return $s }
    imap::disconnect $s
    return ""
}

# TEXT as an IMAP quoted string.
proc imap::quote {text} {
    return "\"[string map {\\ \\\\ \" \\\"} $text]\""
}

# Read more input into the buffer: 1 data, 0 timeout, -1 end of file.
proc imap::fill {sid} {
    variable buf
    set res -1
    catch {
        expect {
            -i $sid -re {.+} {
                append buf($sid) $expect_out(0,string)
                set res 1
            }
            -i $sid timeout { set res 0 }
            -i $sid eof {
                catch {append buf($sid) $expect_out(buffer)}
                set res -1
            }
        }
    }
    return $res
}

# One line (CRLF included) from the buffer, reading as needed; "" on
# timeout/EOF (the reason in the variable named WHY).
proc imap::rawline {sid whyvar} {
    variable buf
    upvar 1 $whyvar why
    while {[set i [string first "\r\n" $buf($sid)]] < 0} {
        set f [imap::fill $sid]
        if {$f == 0} { set why TIMEOUT; return "" }
        if {$f < 0} { set why "EOF $buf($sid)"; return "" }
    }
    set line [string range $buf($sid) 0 [expr {$i + 1}]]
    set buf($sid) [string range $buf($sid) [expr {$i + 2}] end]
    return $line
}

# N bytes exactly from the buffer (a literal); "" on timeout/EOF.
proc imap::rawbytes {sid n whyvar} {
    variable buf
    upvar 1 $whyvar why
    while {[string length $buf($sid)] < $n} {
        set f [imap::fill $sid]
        if {$f == 0} { set why TIMEOUT; return "" }
        if {$f < 0} { set why "EOF"; return "" }
    }
    set data [string range $buf($sid) 0 [expr {$n - 1}]]
    set buf($sid) [string range $buf($sid) $n end]
    return $data
}

# One complete response: a line and the literals it announces, kept
# inline; TIMEOUT or EOF ... when the server does not complete it.
proc imap::response {sid} {
    set out ""
    set why ""
    while {1} {
        set line [imap::rawline $sid why]
        if {$line eq ""} { return [expr {$out eq "" ? $why : "$why after: $out"}] }
        append out $line
        if {![regexp {\{([0-9]+)\}\r\n$} $line -> n]} { return $out }
        if {[string length $n] > 9} { return "BADLITERAL $out" }
        set n [scan $n %d]
        set data [imap::rawbytes $sid $n why]
        if {[string length $data] != $n} { return "$why in literal: $out" }
        append out $data
    }
}

# 1 when R (one response) is an error marker rather than server text.
proc imap::is_err {r} {
    return [regexp {^(TIMEOUT|EOF|BADLITERAL)} $r]
}

# Send TEXT CRLF as is; 0 when the connection is gone.
proc imap::send_line {sid text} {
    return [petrel::sendraw $sid "$text\r\n"]
}

# The next tag of a connection.
proc imap::next_tag {sid} {
    variable tagn
    incr tagn($sid)
    return [format "a%03d" $tagn($sid)]
}

# Responses up to the one tagged TAG (and, with CONT, a "+" line).
proc imap::collect {sid tag {cont 0}} {
    set out {}
    while {1} {
        set r [imap::response $sid]
        lappend out $r
        if {[imap::is_err $r] || [string match "$tag *" $r]} { return $out }
        if {$cont && [string match "+*" $r]} { return $out }
    }
}

# Send a tagged command; every response up to the tagged one.
proc imap::cmd {sid line} {
    set tag [imap::next_tag $sid]
    if {![imap::send_line $sid "$tag $line"]} { return [list "EOF (send failed)"] }
    return [imap::collect $sid $tag]
}

# Send a tagged command; responses up to the tagged one or a continuation.
# The tag used is left in the variable imap::last_tag.
proc imap::cmd_cont {sid line} {
    set tag [imap::next_tag $sid]
    set ::imap::last_tag $tag
    if {![imap::send_line $sid "$tag $line"]} { return [list "EOF (send failed)"] }
    return [imap::collect $sid $tag 1]
}

# Read responses until one matches RE (bounded by SECS); the list read.
proc imap::wait_untagged {sid re {secs 10}} {
    set timeout $secs
    set out {}
    set end [expr {[clock milliseconds] + $secs * 1000}]
    while {1} {
        set timeout [expr {max(1, ($end - [clock milliseconds] + 999) / 1000)}]
        set r [imap::response $sid]
        lappend out $r
        if {[imap::is_err $r] || [regexp -- $re $r]} { return $out }
        if {[clock milliseconds] >= $end} { lappend out TIMEOUT; return $out }
    }
}

# APPEND MSG (given with LF or CRLF line ends; sent with CRLF) to MBOX.
# MODE sync waits for the "+" continuation; plus uses a LITERAL+ literal.
proc imap::append_msg {sid mbox msg {flags ""} {date ""} {mode sync}} {
    set data [imap::crlf $msg]
    set n [string length $data]
    set line "APPEND $mbox"
    if {$flags ne ""} { append line " ($flags)" }
    if {$date ne ""} { append line " \"$date\"" }
    if {$mode eq "plus"} {
        set tag [imap::next_tag $sid]
        petrel::sendraw $sid "$tag $line {$n+}\r\n$data\r\n"
        return [imap::collect $sid $tag]
    }
    set r [imap::cmd_cont $sid "$line {$n}"]
    if {![string match "+*" [lindex $r end]]} { return $r }
    petrel::sendraw $sid "$data\r\n"
    return [concat [lrange $r 0 end-1] [imap::collect $sid $::imap::last_tag]]
}

# MSG with CRLF line ends.
proc imap::crlf {msg} {
    return [string map [list "\n" "\r\n"] [string map [list "\r\n" "\n"] $msg]]
}

# The size of MSG with CRLF line ends (RFC822.SIZE).
proc imap::crlf_size {msg} {
    return [string length [imap::crlf $msg]]
}

# Write MSG (LF line ends) into the maildir new/ of the user (FOLDER is a
# Maildir++ folder name such as "Work"; INBOX when empty), tmp/ then
# rename, owned by the mailbox owner.  Returns the file's path.
proc imap::deliver {in msg {folder ""}} {
    variable deliveries
    if {![info exists deliveries]} { set deliveries 0 }
    incr deliveries
    set md [dict get $in maildir]
    if {$folder ne ""} { set md [file join $md ".$folder"] }
    set name "[clock seconds].M[clock microseconds]P[pid]Q$deliveries.test.example"
    set tmp [file join $md tmp $name]
    petrel::write_file $tmp [string map [list "\r\n" "\n"] $msg]
    exec chown [dict get $in owner]: $tmp
    file rename $tmp [file join $md new $name]
    return [file join $md new $name]
}

# The status word (OK / NO / BAD / TIMEOUT / EOF) of a cmd result.
proc imap::status {r} {
    set last [lindex $r end]
    if {[regexp {^[^ ]+ (OK|NO|BAD)} $last -> st]} { return $st }
    if {[regexp {^(TIMEOUT|EOF)} $last -> st]} { return $st }
    return "?"
}

# The tagged line of a cmd result.
proc imap::tagged {r} {
    return [lindex $r end]
}

# A cmd result as one string (for regexp and reports).
proc imap::text {r} {
    return [join $r ""]
}

# The first response of R that matches RE, or "".
proc imap::find {r re} {
    foreach x $r { if {[regexp -- $re $x]} { return $x } }
    return ""
}

# Every response of R that matches RE.
proc imap::findall {r re} {
    set out {}
    foreach x $r { if {[regexp -- $re $x]} { lappend out $x } }
    return $out
}

# Pass when the command ended in a tagged OK.
proc imap::check_ok {r case} {
    return [petrel::check [expr {[imap::status $r] eq "OK"}] $case "got: [imap::text $r]"]
}

# Pass when the command ended with status ST (OK, NO, BAD; "NO|BAD" allowed).
proc imap::check_st {r st case} {
    return [petrel::check [regexp "^($st)\$" [imap::status $r]] $case "want $st, got: [imap::text $r]"]
}

# Pass when some response of R matches RE (and the command completed).
proc imap::check_has {r re case} {
    set ok [expr {[imap::find $r $re] ne "" && ![imap::is_err [lindex $r end]]}]
    return [petrel::check $ok $case "no match for $re in: [imap::text $r]"]
}

# Pass when no response of R matches RE (and the command completed).
proc imap::check_not {r re case} {
    set ok [expr {[imap::find $r $re] eq "" && ![imap::is_err [lindex $r end]]}]
    return [petrel::check $ok $case "unwanted $re in: [imap::text $r]"]
}

# Close a connection and forget its buffer.
proc imap::disconnect {sid} {
    variable buf
    catch {unset buf($sid)}
    petrel::close_sid $sid
}
