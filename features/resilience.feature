@dataflow:crmoffice-to-business-central @checklist:contacts-to-contacts
Feature: The dataflow survives refused values, throttling, faults and interruptions
  Real tenants refuse values, throttle, time out and drop connections, and a sync can be stopped at any moment.
  None of this may cost a record, a value or a duplicate: a refused value fails its own record only and is
  reported with the tenant's error, and everything else is retried within bounds until both sides agree.

  Rule: a value Business Central refuses fails that contact only

    @rule:9 @severity:critical
    Scenario Outline: a <crmoffice property> that Business Central refuses fails that contact only
      Given 3 CRMOffice contacts with a value in every mapped property
      And a CRMOffice contact whose <crmoffice property> is "<refused value>"
      When the sync runs
      Then the sync reports that contact as failed with Business Central's error about <businesscentral property>
      And each of the other contacts has exactly one person contact in Business Central
      And the refused contact's <crmoffice property> is still "<refused value>" in CRMOffice

      @to_businesscentral
      Examples: checklist rows with values Business Central refuses
        | crmoffice property | businesscentral property | refused value                      |
        | directPhone        | phoneNumber              | 22 33 44 55 ask for Kari           |
        | mobilePhone        | mobilePhoneNumber        | +47 912 34 567 / +47 913 45 678    |

    @rule:9 @severity:critical
    Scenario: a refused contact syncs once its value is fixed
      Given a CRMOffice contact whose directPhone is "sentralbord 22 33 44 55"
      And the sync has run
      When a CRMOffice user changes the contact's directPhone
      And the sync runs
      Then Business Central holds exactly one person contact for it
      And its Business Central contact's phoneNumber is that directPhone
      And the sync reports no failure

    @rule:9 @severity:critical @faults @cycles:9
    Scenario: a change CRMOffice refuses fails that contact only, and goes through once CRMOffice accepts it
      Given a contact linked to a Business Central contact
      And 2 more contacts have been linked since
      And CRMOffice refuses the next change to the contact
      When a Business Central user changes the contact's phoneNumber
      And a Business Central user changes the other contacts' phoneNumber
      And the sync runs
      Then the sync reports that contact as failed with CRMOffice's error
      And the CRMOffice contact still has its directPhone
      And each of the other contacts has the new phoneNumber as its directPhone
      When the sync runs again
      Then the CRMOffice contact's directPhone is the new phoneNumber
      And the sync reports no failure
      When the sync runs again
      Then the sync read no more than 3 records and made no more than 2 requests in either system

    @rule:9 @severity:critical @faults @cycles:9
    Scenario: a change Business Central refuses fails that contact only, and goes through on a later run unedited
      Given a contact linked to a Business Central contact
      And 2 more contacts have been linked since
      And Business Central refuses the next change to the contact
      When a CRMOffice user changes the contact's directPhone
      And a CRMOffice user changes the other contacts' directPhone
      And the sync runs
      Then the sync reports that contact as failed with Business Central's error
      And the Business Central contact still has its phoneNumber
      And each of the other contacts has the new directPhone as its phoneNumber
      When the sync runs again
      Then the Business Central contact's phoneNumber is the new directPhone
      And the sync reports no failure
      When the sync runs again
      Then the sync read no more than 3 records and made no more than 2 requests in either system

    @rule:9 @rule:11 @severity:normal @cycles:4
    Scenario: a contact Business Central keeps refusing costs one try per cycle
      Given a CRMOffice contact whose directPhone is "sentralbord 22 33 44 55"
      And the sync has run
      When the sync runs again
      Then the sync reports that contact as failed with Business Central's error about phoneNumber
      And the sync read no more than 2 records and made no more than 3 requests in either system

    @rule:9 @rule:11 @severity:normal @cycles:4
    Scenario: a refused contact deleted in CRMOffice is no longer tried
      Given a CRMOffice contact whose directPhone is "sentralbord 22 33 44 55"
      And the sync has run
      When a CRMOffice user deletes the contact
      And the sync runs
      And the sync runs again
      Then the sync only looked for changes: one request per checklist section to each system, nothing read

  Rule: throttling, faults and interruptions are retried until both sides agree

    @rule:10 @severity:critical @faults
    Scenario Outline: Business Central <trouble> while new contacts arrive
      Given 12 CRMOffice contacts with a value in every mapped property
      And Business Central <trouble>
      When the sync runs
      Then each of them has exactly one person contact in Business Central
      And each Business Central contact has its CRMOffice contact's value in every mapped property

      Examples:
        | trouble                                                      |
        | throttles the next 3 requests, asking to retry after 2 seconds |
        | throttles the next 3 requests without saying when to retry     |
        | is unavailable for the next 2 requests                         |
        | is unavailable for the next 2 requests, asking to retry after 2 seconds |
        | drops the connection on the next 2 requests                    |
        | loses its answers to the next 2 changes after carrying them out |
        | answers the next 2 requests too slowly                         |

    @rule:10 @severity:critical @faults
    Scenario Outline: CRMOffice <trouble> while a contact's phone changes
      Given a contact linked to a Business Central contact
      And a Business Central user changes the contact's phoneNumber
      And CRMOffice <trouble>
      When the sync runs
      Then the CRMOffice contact's directPhone is the new phoneNumber

      Examples:
        | trouble                                                      |
        | throttles the next 3 requests, asking to retry after 2 seconds |
        | is unavailable for the next 2 requests                         |
        | drops the connection on the next 2 requests                    |
        | loses its answers to the next 2 changes after carrying them out |

    @rule:10 @rule:4 @severity:critical @cycles:5
    Scenario Outline: a CRMOffice user edits <crmoffice property> while the sync is writing to it
      Given a contact linked to a Business Central contact
      And a CRMOffice user will change the contact's <crmoffice property> just before the sync writes it
      And a Business Central user changes the contact's <businesscentral property>
      When the sync runs
      Then both sides show CRMOffice's new value for <crmoffice property> ↔ <businesscentral property>
      And the sync reports no failure

      @to_businesscentral
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:10 @rule:4 @severity:critical @cycles:5
    Scenario Outline: a Business Central user edits <businesscentral property> while the sync is writing to it
      Given a contact linked to a Business Central contact
      And a Business Central user will change the contact's <businesscentral property> just before the sync writes it
      And a CRMOffice user changes the contact's <crmoffice property>
      When the sync runs
      Then both sides show Business Central's new value for <crmoffice property> ↔ <businesscentral property>
      And the sync reports no failure

      @to_crmoffice
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:10 @severity:critical @faults @cycles:5
    Scenario: an outage of CRMOffice that outlasts the retries stops the run, and the next run finishes the work
      Given a contact linked to a Business Central contact
      And a Business Central user changes the contact's phoneNumber
      And CRMOffice fails the next 50 changes with an internal error
      When the sync runs into the outage
      Then the run stopped with CRMOffice's internal error
      And the CRMOffice contact still has its directPhone
      When CRMOffice works again
      And the sync runs again
      Then the CRMOffice contact's directPhone is the new phoneNumber
      And the sync reports no failure

    @rule:10 @rule:1 @severity:blocker @cycles:4
    Scenario Outline: a sync stopped after its <nth> write and started again leaves no duplicate and no lost value
      Given the sync will be stopped after its <nth> write to Business Central
      And 150 CRMOffice contacts with a value in every mapped property
      When the sync runs until it is stopped
      And the sync runs again
      Then each of them has exactly one person contact in Business Central
      And each Business Central contact has its CRMOffice contact's value in every mapped property
      And the sync reports no failure for any of them

      Examples:
        | nth    |
        | first  |
        | second |

    @rule:10 @rule:6 @severity:critical @cycles:33
    Scenario: a re-create stopped midway is finished by the next run, once
      Given a contact linked to a Business Central contact
      And the full sync will be stopped after its first write to Business Central
      And a Business Central user deletes the contact
      When the full sync runs until it is stopped
      And the sync runs again
      Then Business Central holds exactly one person contact for it
      And that contact has the CRMOffice contact's value in every mapped property
      When the full sync runs again
      Then Business Central holds exactly one person contact for it

    @rule:10 @severity:normal @cycles:6
    Scenario Outline: a contact its <side> user keeps changing while the sync writes it fails for that run, and syncs once the edits stop
      Given a contact linked to a Business Central contact
      And a <side> user keeps changing the contact's <kept property> while the sync writes it
      And a <other side> user changes the contact's <other property>
      When the sync runs
      Then the sync reports that contact as failed because <side> kept changing it
      When the sync runs again
      Then both sides show <side>'s new value for <kept crmoffice> ↔ <kept businesscentral>
      And both sides show <other side>'s new value for <other crmoffice> ↔ <other businesscentral>

      Examples:
        | side             | kept property     | kept crmoffice | kept businesscentral | other side       | other property | other crmoffice | other businesscentral |
        | Business Central | mobilePhoneNumber | mobilePhone    | mobilePhoneNumber    | CRMOffice        | directPhone    | directPhone     | phoneNumber           |
        | CRMOffice        | mobilePhone       | mobilePhone    | mobilePhoneNumber    | Business Central | phoneNumber    | directPhone     | phoneNumber           |

  Rule: the sync keeps to the tenants' published limits

    @rule:12 @severity:critical @faults @cycles:5
    Scenario: carrying many edits through throttling, the sync keeps to the tenants' published limits
      Given a contact linked to a Business Central contact
      And 120 more contacts have been linked since
      And Business Central throttles the next 2 requests, asking to retry after 1 seconds
      When a CRMOffice user changes the other contacts' directPhone
      And a Business Central user changes the contact's phoneNumber
      And the sync runs
      Then each of the other contacts has the new directPhone as its phoneNumber
      And the CRMOffice contact's directPhone is the new phoneNumber
      And the sync kept to the tenants' published limits
