# petrel.tcl - shared Expect library for Petrel's conformance scripts.
#
# Usage (a script in t/conf/<area>/x.exp):
#   source [file join [file dirname [info script]] .. .. lib petrel.tcl]
#   petrel::suite smtpd-basic
#   petrel::run {
#       set inst [petrel::inst_create {message_size_limit 10000}]
#       petrel::inst_start $inst
#       set s [petrel::smtp_open $inst]
#       set r [petrel::smtp_cmd $s "EHLO client.example"]
#       petrel::check_re $r {^250[- ]} "rfc5321-4.1.1.1 EHLO accepted"
#   }
#
# Public procedures (namespace petrel):
#   suite NAME             name used in "PASS: NAME: case" lines
#   pass CASE / fail CASE WHY / check COND CASE WHY / check_re TEXT RE CASE
#   run BODY               runs BODY, turns a Tcl error into a FAIL, always
#                          stops every instance this script created, exits
#                          1 when anything failed (0 otherwise)
#   inst_create OVERRIDES  new instance (dict name -> value); returns its dir
#   inst_start DIR / inst_stop DIR / inst_cleanup DIR
#   inst_port DIR smtp|pop3, inst_conf DIR, inst_adduser DIR ADDR PW
#   inst_maildir DIR ADDR ?SUB?, inst_count DIR ADDR (messages in new+cur)
#   wait_count DIR ADDR N SECS  bounded wait, returns the count seen
#   tcp_open PORT          spawn id of a TCP connection to 127.0.0.1:PORT
#   smtp_open DIR          connects and returns the spawn id; the greeting is
#                          left for the caller (smtp_reply)
#   smtp_reply SID         one complete SMTP reply (all lines), "TIMEOUT" or
#                          "EOF ..." - never waits longer than $timeout
#   smtp_cmd SID LINE      sends LINE CRLF, returns smtp_reply
#   pop_line SID           one POP3 status line; pop_cmd SID LINE
#   pop_multi SID          a multi-line POP3 body up to CRLF.CRLF
#   wait_eof SID           1 when the peer closes within the timeout
#   sendraw SID TEXT       send exactly TEXT (no CRLF added)
#   close_sid SID
# Instances (users, daemons - petrel-auth first -, ports) come from
# t/lib/petrel_inst.py, which this library calls for every start and stop.
# Security notes: runs as root; it only signals the processes of the
# instances it created (through t/lib/petrel_inst.py).

package require Expect

namespace eval petrel {
    variable suite "unnamed"
    variable failed 0
    variable passed 0
    variable instances {}
    variable top
    variable py
    set top [expr {[info exists ::env(PETREL_TOP)] ? $::env(PETREL_TOP) :
                   [file normalize [file join [file dirname [info script]] .. ..]]}]
    set py [file join $top t lib petrel_inst.py]
}

set timeout 10
match_max 200000
log_user 0

# Name the suite for the report lines.
proc petrel::suite {name} {
    variable suite
    set suite $name
    set ::env(PETREL_SUITE) $name
}

# Report one passing case.
proc petrel::pass {case} {
    variable suite
    variable passed
    incr passed
    puts "PASS: $suite: $case"
    flush stdout
}

# Report one failing case with a reason (cut, on one line).
proc petrel::fail {case why} {
    variable suite
    variable failed
    incr failed
    set why [string range [string map {"\r" "\\r" "\n" "\\n"} $why] 0 300]
    puts "FAIL: $suite: $case ($why)"
    flush stdout
}

# Pass when COND is true, else fail with WHY.
proc petrel::check {cond case why} {
    if {$cond} { petrel::pass $case } else { petrel::fail $case $why }
    return $cond
}

# Pass when TEXT matches the regular expression RE.
proc petrel::check_re {text re case} {
    return [petrel::check [regexp -- $re $text] $case "got: $text"]
}

# Run the test body, always clean up, exit with the overall result.
proc petrel::run {body} {
    variable failed
    variable passed
    trap {petrel::cleanup_all; exit 1} {SIGTERM SIGINT SIGHUP}
    if {[catch {uplevel 1 $body} err] == 1} {
        petrel::fail "script error" "$err [string range $::errorInfo 0 200]"
    }
    petrel::cleanup_all
    exit [expr {$failed > 0 ? 1 : 0}]
}

# Run the Python instance helper and return its output.
proc petrel::helper {args} {
    variable py
    return [exec python3 $py {*}$args 2>@1]
}

# Create an instance with OVERRIDES (dict); return its directory.
proc petrel::inst_create {{overrides {}}} {
    variable instances
    set argv {}
    dict for {k v} $overrides { lappend argv "$k=$v" }
    set out [petrel::helper create {*}$argv]
    set dir [lindex [split [string trim $out] "\n"] end]
    lappend instances $dir
    return $dir
}

# Start an instance's daemons (bounded wait inside the helper).
proc petrel::inst_start {dir} {
    petrel::helper start $dir
}

# Stop an instance's daemons.
proc petrel::inst_stop {dir} {
    catch {petrel::helper stop $dir}
}

# Stop and remove an instance.
proc petrel::inst_cleanup {dir} {
    catch {petrel::helper cleanup $dir}
}

# Clean up every instance this script created.
proc petrel::cleanup_all {} {
    variable instances
    foreach d $instances { petrel::inst_cleanup $d }
    set instances {}
}

# The SMTP or POP3 port of an instance.
proc petrel::inst_port {dir which} {
    set f [open [file join $dir ports]]
    set p [split [string trim [read $f]]]
    close $f
    return [lindex $p [expr {$which eq "smtp" ? 0 : 1}]]
}

# The configuration file of an instance.
proc petrel::inst_conf {dir} {
    return [file join $dir conf petrel.conf]
}

# Add a virtual user.
proc petrel::inst_adduser {dir addr pw} {
    petrel::helper adduser $dir $addr $pw
}

# A user's maildir sub-directory (new by default).
proc petrel::inst_maildir {dir addr {sub new}} {
    set l [split $addr @]
    return [file join $dir mail [lindex $l 1] [lindex $l 0] $sub]
}

# Messages in a user's new/ and cur/.
proc petrel::inst_count {dir addr} {
    set n 0
    foreach sub {new cur} {
        set d [petrel::inst_maildir $dir $addr $sub]
        if {[file isdirectory $d]} {
            incr n [llength [glob -nocomplain -directory $d -types f *]]
        }
    }
    return $n
}

# Wait up to SECS for at least N messages; return the count seen.
proc petrel::wait_count {dir addr n secs} {
    set end [expr {[clock milliseconds] + int($secs * 1000)}]
    while {1} {
        set c [petrel::inst_count $dir $addr]
        if {$c >= $n || [clock milliseconds] >= $end} { return $c }
        after 100
    }
}

# Read every message file of a user (sorted by name), binary.
proc petrel::inst_messages {dir addr} {
    set out {}
    foreach sub {new cur} {
        set d [petrel::inst_maildir $dir $addr $sub]
        foreach f [lsort [glob -nocomplain -directory $d -types f *]] {
            set fh [open $f rb]
            lappend out [read $fh]
            close $fh
        }
    }
    return $out
}

# Files in the queue (incoming, active, deferred).
proc petrel::queue_count {dir} {
    return [string trim [petrel::helper queue-count $dir]]
}

# Open a TCP connection and hand it to Expect.
proc petrel::tcp_open {port} {
    set chan [socket 127.0.0.1 $port]
    fconfigure $chan -translation binary -buffering none -blocking 0
    spawn -open $chan
    return $spawn_id
}

# Connect to an instance's SMTP port.
proc petrel::smtp_open {dir} {
    return [petrel::tcp_open [petrel::inst_port $dir smtp]]
}

# Connect to an instance's POP3 port.
proc petrel::pop_open {dir} {
    return [petrel::tcp_open [petrel::inst_port $dir pop3]]
}

# Send exactly TEXT.
proc petrel::sendraw {sid text} {
    if {[catch {send -i $sid -- $text} err]} { return 0 }
    return 1
}

# Wait for RE on SID; the text up to and including the match (WHAT =
# buffer) or just the match (WHAT = match), or TIMEOUT / EOF ... .  A closed
# spawn id gives "EOF (closed)" instead of a Tcl error.
proc petrel::wait_re {sid re what} {
    set res "EOF (closed)"
    catch {
        expect {
            -i $sid -re $re {
                if {$what eq "buffer"} {
                    set res $expect_out(buffer)
                } else {
                    set res $expect_out(0,string)
                }
            }
            -i $sid timeout { set res "TIMEOUT" }
            -i $sid eof {
                set b ""
                catch {set b $expect_out(buffer)}
                set res "EOF $b"
            }
        }
    }
    return $res
}

# One complete SMTP reply (possibly multi-line), or TIMEOUT / EOF ...
proc petrel::smtp_reply {sid} {
    return [petrel::wait_re $sid "(^|\n)\[0-9\]\[0-9\]\[0-9\]( \[^\r\n\]*)?\r\n" buffer]
}

# Send one SMTP command line and return the reply.
proc petrel::smtp_cmd {sid line} {
    if {![petrel::sendraw $sid "$line\r\n"]} { return "EOF (send failed)" }
    return [petrel::smtp_reply $sid]
}

# One POP3 status line (+OK / -ERR ...), or TIMEOUT / EOF ...
proc petrel::pop_line {sid} {
    return [petrel::wait_re $sid "^\[^\n\]*\r\n" match]
}

# Send one POP3 command line and return the status line.
proc petrel::pop_cmd {sid line} {
    if {![petrel::sendraw $sid "$line\r\n"]} { return "EOF (send failed)" }
    return [petrel::pop_line $sid]
}

# The rest of a POP3 multi-line response, up to and including CRLF.CRLF
# (line by line, so a pipelined response after it stays buffered).
proc petrel::pop_multi {sid} {
    set out ""
    while {1} {
        set l [petrel::pop_line $sid]
        if {$l eq "TIMEOUT" || [string match "EOF*" $l]} { return "$out$l" }
        append out $l
        if {$l eq ".\r\n"} { return $out }
    }
}

# 1 when the peer closes the connection within the timeout.
proc petrel::wait_eof {sid} {
    set res 1
    catch {
        expect {
            -i $sid eof { set res 1 }
            -i $sid -re ".+" { exp_continue }
            -i $sid timeout { set res 0 }
        }
    }
    return $res
}

# Close a connection (ignoring errors).
proc petrel::close_sid {sid} {
    catch {close -i $sid}
    catch {wait -nowait -i $sid}
}

# Write TEXT to FILE (binary).
proc petrel::write_file {file text} {
    set f [open $file wb]
    puts -nonewline $f $text
    close $f
}
